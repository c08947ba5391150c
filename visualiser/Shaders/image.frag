uniform sampler2D uImage;
in vec2 vUv;
out vec4 fragColor;
void main() { fragColor = texture(uImage, vUv); }
