#!/usr/bin/env python3
"""Generates a large self-contained app for the benchmarks, offline: a console project referencing many generated NuGet
packages (native assets, so the compiler never reads them) plus asset files copied to the publish folder.

    generate-app.py OUT_DIR FEED_DIR [--packages N --package-mb MB --files N --file-kb KB --large N --large-mb MB]

Contents are deterministic and compress about like binaries (half text, half noise), so gzip does real work. Package ids
start with OciBench. so run.sh can remove them from the NuGet cache afterwards."""
import argparse, io, os, random, zipfile

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("feed")
parser.add_argument("--packages", type=int, default=40)
parser.add_argument("--package-mb", type=float, default=7)
parser.add_argument("--files", type=int, default=400)
parser.add_argument("--file-kb", type=int, default=64)
parser.add_argument("--large", type=int, default=0)
parser.add_argument("--large-mb", type=int, default=100)
parser.add_argument("--name", default="BenchApp")
args = parser.parse_args()

rng = random.Random(12)
words = [w.encode() for w in "layer digest manifest config blob runtime native assembly module export symbol table".split()]
pool = bytearray()
while len(pool) < 8 << 20:
    pool += rng.randbytes(rng.randint(16, 256)) if rng.random() < 0.5 else b" ".join(rng.choice(words) for _ in range(rng.randint(8, 64)))
pool = bytes(pool)


def content(seed: int, size: int) -> bytes:
    """size bytes: slices of the pool chosen by seed (far-apart slices, so gzip's 32 KiB window sees no repeats)."""
    r = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        start = r.randrange(0, len(pool) - (1 << 16))
        out += pool[start:start + min(1 << 16, size - len(out))]
    return bytes(out)


def write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


os.makedirs(args.feed, exist_ok=True)
references = []
for i in range(args.packages):
    package_id = f"OciBench.{args.name}.Native{i:03d}"
    nuspec = f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata><id>{package_id}</id><version>1.0.0</version><authors>bench</authors><description>generated</description></metadata>
</package>"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{package_id}.nuspec", nuspec)
        z.writestr(f"runtimes/linux-x64/native/lib{package_id.lower()}.so", content(1000 + i, int(args.package_mb * (1 << 20))))
    write(os.path.join(args.feed, f"{package_id.lower()}.1.0.0.nupkg"), buffer.getvalue())
    references.append(f'    <PackageReference Include="{package_id}" Version="1.0.0" />')

for i in range(args.files):
    write(os.path.join(args.out, "assets", f"dir{i % 20:02d}", f"asset{i:05d}.bin"), content(5000 + i, args.file_kb << 10))
for i in range(args.large):
    write(os.path.join(args.out, "assets", "large", f"model{i}.bin"), content(9000 + i, args.large_mb << 20))

write(os.path.join(args.out, f"{args.name}.csproj"), f"""<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
    <SelfContained>true</SelfContained>
    <InvariantGlobalization>true</InvariantGlobalization>
    <EnableSdkContainerSupport>true</EnableSdkContainerSupport>
    <ContainerRepository>bench/{args.name.lower()}</ContainerRepository>
  </PropertyGroup>
  <ItemGroup>
{chr(10).join(references)}
    <Content Include="assets/**" CopyToPublishDirectory="PreserveNewest" />
  </ItemGroup>
</Project>
""".encode())
write(os.path.join(args.out, "Program.cs"), b'System.Console.WriteLine("Hello from the benchmark app");\n')
write(os.path.join(args.out, "nuget.config"), f"""<configuration>
  <packageSources><add key="oci-bench-{args.name.lower()}" value="{os.path.abspath(args.feed)}" /></packageSources>
</configuration>
""".encode())
