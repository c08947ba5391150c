in vec4 vColour;
out vec4 fragColor;
void main() { fragColor = vColour; }
