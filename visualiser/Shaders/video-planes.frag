in vec2 vRed, vGreen, vBlue;
out vec4 fragColor;
void main() { fragColor = vec4(videoAt(vRed).r, videoAt(vGreen).g, videoAt(vBlue).b, 1.0); }
