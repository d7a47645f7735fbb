var builder = WebApplication.CreateSlimBuilder(args);
var app = builder.Build();

app.MapGet("/", () => "Hello from EncryptedApi: this code travelled encrypted.\n");

app.Run();
