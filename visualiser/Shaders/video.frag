in vec2 vRed, vGreen, vBlue;
out vec4 fragColor;
void main() { fragColor = vec4(videoAt(vRed).rgb, 1.0); }
