using System.Text.Json.Nodes;
using Oci.Build.Layers;

namespace Oci.Build.Images;

/// <summary>
/// Applies <see cref="ImageSettings"/> and new layers to a base image's config. Fields this product does not manage
/// are kept as the base wrote them; everything it writes is derived from the settings alone (no clock, no host data).
/// </summary>
public static class ImageConfigEditor
{
    public static JsonObject Apply(JsonObject baseConfig, ImageSettings settings, IReadOnlyList<BuiltLayer> layers)
    {
        var config = (JsonObject)baseConfig.DeepClone();
        var created = ImageSettings.FormatCreated(settings.Created);
        config["created"] = created;
        config["architecture"] = settings.Platform.Architecture;
        config["os"] = settings.Platform.Os;
        if (settings.Platform.Variant is not null) config["variant"] = settings.Platform.Variant;
        else config.Remove("variant");

        var runtime = config["config"] as JsonObject ?? new JsonObject();
        config["config"] = runtime;
        runtime["Env"] = MergeEnvironment(runtime["Env"] as JsonArray, settings.Environment);
        SetList(runtime, "Entrypoint", settings.Entrypoint);
        SetList(runtime, "Cmd", settings.Cmd);
        if (!string.IsNullOrEmpty(settings.WorkingDirectory)) runtime["WorkingDir"] = settings.WorkingDirectory;
        if (!string.IsNullOrEmpty(settings.User)) runtime["User"] = settings.User;
        if (settings.Ports.Count > 0)
        {
            var ports = runtime["ExposedPorts"] as JsonObject ?? new JsonObject();
            foreach (var port in settings.Ports) ports[port] = new JsonObject();
            runtime["ExposedPorts"] = Sorted(ports);
        }
        if (settings.Labels.Count > 0)
        {
            var labels = runtime["Labels"] as JsonObject ?? new JsonObject();
            foreach (var (key, value) in settings.Labels) labels[key] = value;
            runtime["Labels"] = Sorted(labels);
        }

        var rootfs = config["rootfs"] as JsonObject ?? new JsonObject { ["type"] = "layers" };
        config["rootfs"] = rootfs;
        var diffIds = rootfs["diff_ids"] as JsonArray ?? new JsonArray();
        rootfs["diff_ids"] = diffIds;
        var history = config["history"] as JsonArray ?? new JsonArray();
        config["history"] = history;
        foreach (var layer in layers)
        {
            diffIds.Add((JsonNode)JsonValue.Create(layer.DiffId.ToString()));
            history.Add((JsonNode)new JsonObject
            {
                ["created"] = created,
                ["created_by"] = $"Oci.Build: {layer.Name} layer",
            });
        }
        return config;
    }

    private static JsonArray MergeEnvironment(JsonArray? baseEnv, IReadOnlyList<KeyValuePair<string, string>> overrides)
    {
        // Keep the base's order, replace values in place, append new names in the order given.
        var entries = new List<(string Name, string Line)>();
        foreach (var node in baseEnv ?? [])
        {
            var line = node?.GetValue<string>() ?? "";
            var eq = line.IndexOf('=');
            entries.Add((eq < 0 ? line : line[..eq], line));
        }
        foreach (var (name, value) in overrides)
        {
            var index = entries.FindIndex(e => e.Name == name);
            if (index >= 0) entries[index] = (name, $"{name}={value}");
            else entries.Add((name, $"{name}={value}"));
        }
        return new JsonArray(entries.Select(e => (JsonNode?)JsonValue.Create(e.Line)).ToArray());
    }

    private static void SetList(JsonObject target, string key, IReadOnlyList<string>? values)
    {
        if (values is null) return;
        if (values.Count == 0) target.Remove(key);
        else target[key] = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
    }

    private static JsonObject Sorted(JsonObject source)
    {
        var sorted = new JsonObject();
        foreach (var (key, value) in source.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
            sorted[key] = value?.DeepClone();
        return sorted;
    }
}
