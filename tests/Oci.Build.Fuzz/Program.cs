using Oci.Build.Fuzz;
using SharpFuzz;

// Oci.Build.Fuzz TARGET               run under afl-fuzz (eng/fuzz.sh TARGET MINUTES does the set-up)
// Oci.Build.Fuzz seeds DIR            write the seed inputs to DIR/TARGET/
// Oci.Build.Fuzz replay TARGET PATH   run one input file (or every file of a folder) once, printing what escapes
switch (args)
{
    case ["seeds", var directory]:
        foreach (var (target, name, content) in Seeds.All())
        {
            Directory.CreateDirectory(Path.Combine(directory, target));
            File.WriteAllBytes(Path.Combine(directory, target, name), content);
        }
        return 0;
    case ["replay", var target, var path] when FuzzTargets.All.TryGetValue(target, out var run):
        var failures = 0;
        foreach (var file in Directory.Exists(path) ? Directory.GetFiles(path) : [path])
        {
            try
            {
                run(File.ReadAllBytes(file));
            }
            catch (Exception ex)
            {
                failures++;
                Console.Error.WriteLine($"{file}: {ex}");
            }
        }
        return failures == 0 ? 0 : 1;
    case [var target] when FuzzTargets.All.TryGetValue(target, out var run):
        // Out of process: a stack overflow or a crash of the runtime is reported as a crash, not lost with the fuzzer.
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            run(buffer.ToArray());
        });
        return 0;
    default:
        Console.Error.WriteLine($"usage: Oci.Build.Fuzz TARGET | seeds DIR | replay TARGET PATH   (targets: {string.Join(", ", FuzzTargets.All.Keys)})");
        return 2;
}
