// The scene's geometry, computed where it is drawn from the numbers of the frame: the cubic and knot
// curves, the cubic's error segments and sample points, each as quads in pixel coordinates (origin
// top-left). Vertex k belongs to primitive k / 6 (a segment, or a point's square) and is corner k % 6
// of its two triangles; no vertex buffer is needed.
uniform vec2 uSize;
// 0 a cubic curve, 1 a knot curve, 2 the error segments (target to learned at each sample point),
// 3 the sample points (a target square and a learned square for each), 4 a curve through uCount
// values (uPoints) at evenly spaced x across the cubic's view (any model's curve, sampled on the CPU).
uniform int uShape;
// 0 the target, 1 the learned (curves); which colour.
uniform int uLearned;
uniform vec4 uTarget;   // cubic a, b, c, d or the knot's target phases
uniform vec4 uTheta;    // the learned cubic or phases
uniform ivec3 uKnotN;   // the knot's integer frequencies
uniform float uOrbit;   // the knot's orbit about the vertical axis, radians
uniform float uAge;     // < 0: the current curve; else seconds a lingering cubic has lived
uniform vec2 uDrift;    // a lingering cubic's drift, pixels per second at 720 lines
uniform vec4 uPoints[32]; // the sample points' x (shape 4: the curve's values), four to a vector
uniform int uCount;       // shape 4: how many values
out vec4 vColour;

const float XRange = 1.05;     // the cubic view shows x in ±XRange ...
const float YRange = 3.0;      // ... and f(x) in ±YRange across the middle 90 % of the frame
const int CurveSegments = 240;
const int KnotSegments = 900;
const float Tilt = 0.45;       // the knot's view is tilted this much about the horizontal axis
const float CameraDistance = 4.0;
const float LingerSeconds = 8.0;
const float Tau = 6.28318530717958647692;
const vec4 TargetColour = vec4(1.0, 1.0, 1.0, 1.0);
const vec4 LearnedColour = vec4(1.0, 0.15, 0.1, 1.0);
const vec4 ErrorColour = vec4(1.0, 0.55, 0.5, 0.55);

float cubicAt(vec4 c, float x) { return ((c.x * x + c.y) * x + c.z) * x + c.w; }

vec2 cubicPixel(float x, float y) {
    return vec2(uSize.x * 0.5 + x / XRange * uSize.x * 0.45, uSize.y * 0.5 - y / YRange * uSize.y * 0.45);
}

// g(t) = (cos(nx t + a), cos(ny t + b), cos(nz t + c)), turned by the orbit, tilted, in perspective.
vec2 knotPixel(vec4 phase, float t) {
    vec3 p = cos(vec3(uKnotN) * t + phase.xyz);
    float co = cos(uOrbit), so = sin(uOrbit), ct = cos(Tilt), st = sin(Tilt);
    float x1 = p.x * co + p.z * so, z1 = -p.x * so + p.z * co;
    float y2 = p.y * ct - z1 * st, z2 = p.y * st + z1 * ct;
    float depth = CameraDistance - z2;
    float focal = 0.42 * uSize.y * (CameraDistance - 1.2);
    return vec2(uSize.x * 0.5 + x1 * focal / depth, uSize.y * 0.5 - y2 * focal / depth);
}

float pointX(int i) { return uPoints[i / 4][i % 4]; }

void main() {
    int primitive = gl_VertexID / 6;
    int corner = gl_VertexID % 6;
    int quadCorner = corner < 3 ? corner : (corner == 3 ? 0 : (corner == 4 ? 2 : 3)); // triangles 0 1 2, 0 2 3
    vec4 c = uLearned == 1 ? uTheta : uTarget;
    vec4 colour = uLearned == 1 ? LearnedColour : TargetColour;
    float line = uShape == 1 ? max(1.5, uSize.y / 320.0) : max(1.5, uSize.y / 300.0);
    vec2 offset = vec2(0.0);
    if (uAge >= 0.0) {
        // A cubic that gave way to a new target: faint, fading, drifting away.
        colour.a = 0.55 * (1.0 - uAge / LingerSeconds);
        offset = uDrift * uAge * (uSize.y / 720.0);
    }
    vec2 a, b;
    bool square = false;
    float halfSide = 0.0;
    if (uShape == 0) {
        float xa = -1.0 + 2.0 * float(primitive) / float(CurveSegments);
        float xb = -1.0 + 2.0 * float(primitive + 1) / float(CurveSegments);
        a = cubicPixel(xa, cubicAt(c, xa)) + offset;
        b = cubicPixel(xb, cubicAt(c, xb)) + offset;
    } else if (uShape == 1) {
        a = knotPixel(c, Tau * float(primitive) / float(KnotSegments));
        b = knotPixel(c, Tau * float(primitive + 1) / float(KnotSegments));
    } else if (uShape == 4) {
        float step = 2.0 / float(max(1, uCount - 1));
        float xa = -1.0 + step * float(primitive), xb = xa + step;
        a = cubicPixel(xa, pointX(primitive)) + offset;
        b = cubicPixel(xb, pointX(primitive + 1)) + offset;
    } else if (uShape == 2) {
        float x = pointX(primitive);
        a = cubicPixel(x, cubicAt(uTarget, x));
        b = cubicPixel(x, cubicAt(uTheta, x));
        line = max(1.0, line * 0.5);
        colour = ErrorColour;
    } else {
        // Two squares a point: its place on the target, then on the learned curve.
        int learned = primitive % 2;
        float x = pointX(primitive / 2);
        a = cubicPixel(x, cubicAt(learned == 1 ? uTheta : uTarget, x));
        colour = learned == 1 ? LearnedColour : TargetColour;
        square = true;
        halfSide = max(3.0, uSize.y / 160.0) * 0.5;
    }

    vec2 q[4];
    if (square) {
        q[0] = a + vec2(-halfSide, -halfSide); q[1] = a + vec2(halfSide, -halfSide);
        q[2] = a + vec2(halfSide, halfSide); q[3] = a + vec2(-halfSide, halfSide);
    } else {
        // A segment line pixels wide, extended by half its width at both ends so joints close.
        vec2 d = b - a;
        float len = length(d);
        if (!(len > 1e-6)) {
            q[0] = a; q[1] = a; q[2] = a; q[3] = a; // nothing to draw
        } else {
            vec2 along = d / len * (line * 0.5);
            vec2 across = vec2(-along.y, along.x);
            vec2 a1 = a - along, b1 = b + along;
            q[0] = a1 + across; q[1] = b1 + across; q[2] = b1 - across; q[3] = a1 - across;
        }
    }
    vec2 pixel = q[quadCorner];
    gl_Position = vec4(pixel.x / uSize.x * 2.0 - 1.0, 1.0 - pixel.y / uSize.y * 2.0, 0.0, 1.0);
    vColour = colour;
}
