uniform vec2 uSize;
uniform vec4 uRect;
out vec2 vUv;
void main() {
    vec2 corner = vec2(gl_VertexID & 1, gl_VertexID >> 1);
    vec2 pixel = uRect.xy + corner * uRect.zw;
    gl_Position = vec4(pixel.x / uSize.x * 2.0 - 1.0, 1.0 - pixel.y / uSize.y * 2.0, 0.0, 1.0);
    vUv = corner;
}
