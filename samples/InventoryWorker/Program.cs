using Newtonsoft.Json;

// A small worker: reports the inventory it would reconcile, as one JSON line per round. `--once` runs a single round
// (what the tests do); without it, a round every INVENTORY_INTERVAL_SECONDS (default 30) until stopped.
var once = args.Contains("--once");
var interval = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("INVENTORY_INTERVAL_SECONDS"), out var s) && s > 0 ? s : 30);
var round = 0;
do
{
    round++;
    var report = new { service = "inventory-worker", round, items = new[] { new { sku = "A-100", count = 3 }, new { sku = "B-200", count = 0 } } };
    Console.WriteLine(JsonConvert.SerializeObject(report));
    if (!once) await Task.Delay(interval);
} while (!once);
