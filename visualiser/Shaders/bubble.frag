// Inside the circle the pixel shows the source at p + A·cos(5·g·t + x/300); outside it nothing is
// drawn (the plain video drawn first shows).
uniform vec2 uSize;
uniform vec2 uGradient;
uniform float uTime, uAmplitude;
uniform vec3 uBubble;
uniform vec2 uUvScale, uUvOffset;
out vec4 fragColor;
void main() {
    vec2 pixel = vec2(gl_FragCoord.x, uSize.y - gl_FragCoord.y); // top-left origin, as the video
    if (distance(pixel, uBubble.xy) >= uBubble.z) discard;
    vec2 source = pixel + uAmplitude * cos(5.0 * uGradient * uTime + pixel.x / 300.0);
    fragColor = vec4(videoAt(source * uUvScale + uUvOffset).rgb, 1.0);
}
