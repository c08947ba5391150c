// The video over the whole frame, each colour plane sampled from its own translation (a plane moved
// by +o shows the source at p - o): Distortion 1; or the plain video. Every texture coordinate is a
// linear function of the pixel, so it is worked out at the corners and interpolated: no per-fragment
// arithmetic and no branches, llvmpipe's fastest code.
uniform vec2 uSize;
uniform vec2 uRed, uGreen, uBlue;
uniform vec2 uUvScale, uUvOffset;
out vec2 vRed, vGreen, vBlue;
void main() {
    vec2 pixel = vec2(gl_VertexID & 1, gl_VertexID >> 1) * uSize; // top-left origin, as the video
    gl_Position = vec4(pixel.x / uSize.x * 2.0 - 1.0, 1.0 - pixel.y / uSize.y * 2.0, 0.0, 1.0);
    vRed = (pixel - uRed) * uUvScale + uUvOffset;
    vGreen = (pixel - uGreen) * uUvScale + uUvOffset;
    vBlue = (pixel - uBlue) * uUvScale + uUvOffset;
}
