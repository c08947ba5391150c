using System.Numerics;

namespace Losses.Visualiser.Graphics;

/// <summary>
/// Coloured triangles built on the CPU in pixel coordinates: thick lines as quads (core-profile GL
/// has no wide lines), squares for points. Reused frame after frame: no allocation once grown.
/// </summary>
public sealed class ShapeBatch
{
    private float[] _vertices = new float[6 * 6 * 1024];
    private int _floats;

    public int VertexCount => _floats / 6;
    public ReadOnlySpan<float> Vertices => _vertices.AsSpan(0, _floats);

    public void Clear() => _floats = 0;

    /// <summary>A segment <paramref name="width"/> pixels wide, extended by half its width at both ends so joints close.</summary>
    public void Line(Vector2 a, Vector2 b, float width, Vector4 color)
    {
        Vector2 d = b - a;
        float length = d.Length();
        if (!(length > 1e-6f) || !float.IsFinite(length)) return;
        Vector2 along = d / length * (width * 0.5f);
        Vector2 across = new(-along.Y, along.X);
        a -= along;
        b += along;
        Quad(a + across, b + across, b - across, a - across, color);
    }

    /// <summary>A polyline through <paramref name="points"/>.</summary>
    public void Polyline(ReadOnlySpan<Vector2> points, float width, Vector4 color)
    {
        for (int i = 1; i < points.Length; i++) Line(points[i - 1], points[i], width, color);
    }

    /// <summary>A filled square of side <paramref name="size"/> centred on <paramref name="p"/>.</summary>
    public void Point(Vector2 p, float size, Vector4 color)
    {
        float h = size * 0.5f;
        Quad(p + new Vector2(-h, -h), p + new Vector2(h, -h), p + new Vector2(h, h), p + new Vector2(-h, h), color);
    }

    public void Quad(Vector2 p0, Vector2 p1, Vector2 p2, Vector2 p3, Vector4 color)
    {
        if (_floats + 36 > _vertices.Length) Array.Resize(ref _vertices, _vertices.Length * 2);
        Vertex(p0, color); Vertex(p1, color); Vertex(p2, color);
        Vertex(p0, color); Vertex(p2, color); Vertex(p3, color);
    }

    private void Vertex(Vector2 p, Vector4 c)
    {
        float[] v = _vertices;
        int i = _floats;
        v[i] = p.X; v[i + 1] = p.Y; v[i + 2] = c.X; v[i + 3] = c.Y; v[i + 4] = c.Z; v[i + 5] = c.W;
        _floats = i + 6;
    }
}
