using System.Text.Json.Serialization;

namespace Oci.Build.Images;

/// <summary>
/// Source-generated metadata of the files the build's steps hand each other (build results) and leave for people and
/// scripts (the image summary): no reflection.
/// </summary>
[JsonSerializable(typeof(BuildResultFile.ImageFile))]
[JsonSerializable(typeof(BuildResultFile.IndexFile))]
[JsonSerializable(typeof(ImageSummary.Summary))]
[JsonSerializable(typeof(ImageSummary.IndexSummary))]
internal sealed partial class ImageJsonContext : JsonSerializerContext;
