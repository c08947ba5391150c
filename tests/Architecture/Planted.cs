// A wrong-way reference planted on purpose, four ways, for LayerTests to find: Below uses Above.
namespace Losses.Tests.Architecture.Planted.Above
{
    public sealed class High
    {
        public static int Count() => 1;
        public int Value;
    }
}

namespace Losses.Tests.Architecture.Planted.Below
{
    public sealed class ByField { public Above.High? Field; }

    public static class ByCall { public static int Run() => Above.High.Count(); }

    public static class ByLocal
    {
        public static int Run(object o)
        {
            var high = o as Losses.Tests.Architecture.Planted.Above.High;
            return high?.Value ?? 0;
        }
    }

    public static class ByNew { public static object Make() => new Above.High(); }

    /// <summary>Uses nothing above: must not be reported.</summary>
    public static class Clean { public static int Run() => 2; }
}
