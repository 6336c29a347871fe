namespace Serving.Worker.Batching;

/// <summary>The planner's answer: send the first <see cref="Take"/> queued requests now, or wait until <see cref="WaitUntil"/>.</summary>
internal readonly record struct BatchPlan(int Take, long WaitUntil)
{
    public static BatchPlan Send(int take) => new(take, 0);

    public static BatchPlan Wait(long until) => new(0, until);
}
