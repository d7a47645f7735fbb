var builder = WebApplication.CreateSlimBuilder(args);
var app = builder.Build();

app.MapGet("/", () => "Hello from HelloOci, an OCI image built by Oci.Build.\n");

app.Run();
