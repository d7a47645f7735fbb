using Oci.Build.Graph;

namespace Oci.Build.Tests.Unit;

/// <summary>The gate the images of a bundle share: so many transfers at once in all, the largest waiting first.</summary>
public sealed class TransferGateTests
{
    [Fact]
    public async Task Two_slots_go_to_the_first_comers_then_the_largest_waiting_goes_first_and_a_cancelled_waiter_is_skipped()
    {
        var gate = new TransferGate(2);
        var first = await gate.EnterAsync(10, CancellationToken.None);
        var second = await gate.EnterAsync(20, CancellationToken.None);

        using var cancel = new CancellationTokenSource();
        var small = gate.EnterAsync(1, CancellationToken.None);
        var large = gate.EnterAsync(1_000, CancellationToken.None);
        var cancelled = gate.EnterAsync(5_000, cancel.Token);
        var medium = gate.EnterAsync(100, CancellationToken.None);
        Assert.False(small.IsCompleted || large.IsCompleted || medium.IsCompleted || cancelled.IsCompleted);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        first.Dispose();
        var afterFirst = await large.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(small.IsCompleted || medium.IsCompleted);
        second.Dispose();
        second.Dispose(); // a slot is given back once
        var afterSecond = await medium.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(small.IsCompleted);
        afterFirst.Dispose();
        (await small.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        afterSecond.Dispose();

        // Both slots free again: two enter at once, a third waits.
        using var a = await gate.EnterAsync(1, CancellationToken.None);
        using var b = await gate.EnterAsync(1, CancellationToken.None);
        Assert.False(gate.EnterAsync(1, CancellationToken.None).IsCompleted);
    }
}
