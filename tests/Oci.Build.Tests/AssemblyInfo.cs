// The tests drive Linux tools (skopeo, umoci, chroot, docker-registry) and set Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
