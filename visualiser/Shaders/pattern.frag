// The generated feed, a stand-in for the performer's video when there is no camera: six colour
// bands that slowly change, a moving grid and three drifting discs — texture enough that both
// distortions are easy to see. Drawn into a texture whose first row is the top of the image (as a
// camera's), so the pixel row counts down from the top: row = gl_FragCoord.y - 0.5.
uniform vec2 uSize;   // the feed's size in pixels (half the frame's)
uniform float uTime;  // seconds, on the 30 fps ticks of a camera
out vec4 fragColor;

void main() {
    vec2 p = gl_FragCoord.xy - 0.5;
    float w = uSize.x, h = uSize.y;
    int bands = 6;
    int band = min(bands - 1, int(floor(p.x * float(bands) / w)));
    float phase = uTime * 0.4 + float(band) * 1.1;
    vec3 colour = vec3(90.0 + 80.0 * sin(phase + 4.2), 90.0 + 80.0 * sin(phase + 2.1), 90.0 + 80.0 * sin(phase)) / 255.0;
    int gridStep = max(8, int(h) / 9);
    int shift = int(uTime * 20.0) % gridStep;
    ivec2 q = ivec2(p);
    if (q.x >= shift && (q.x - shift) % gridStep == 0) colour = vec3(235.0 / 255.0);
    if (q.y >= shift && (q.y - shift) % gridStep == 0) colour = vec3(235.0 / 255.0);
    for (int i = 0; i < 3; i++) {
        float fi = float(i);
        vec2 centre = vec2(w * (0.5 + 0.35 * sin(uTime * (0.3 + 0.1 * fi) + fi)), h * (0.5 + 0.3 * cos(uTime * (0.25 + 0.07 * fi) + 2.0 * fi)));
        float radius = float(int(h) / (5 + i));
        float cover = clamp(radius + 0.5 - distance(p, centre), 0.0, 1.0); // a one-pixel soft edge
        colour = mix(colour, vec3(230.0, 200.0 - 60.0 * fi, 40.0 + 90.0 * fi) / 255.0, cover);
    }
    fragColor = vec4(colour, 1.0);
}
