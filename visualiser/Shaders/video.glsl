// The video's colour at a texture coordinate: black outside the image (a plane moved in from the
// edge brings black, not a smeared border). Native textures clamp to a black border; WebGL2 has no
// border, so the page tests the coordinate.
uniform sampler2D uVideo;
vec4 videoAt(vec2 uv) {
#ifdef LOSSES_WEBGL
    vec2 inside = step(vec2(0.0), uv) * step(uv, vec2(1.0));
    return texture(uVideo, uv) * (inside.x * inside.y);
#else
    return texture(uVideo, uv);
#endif
}
