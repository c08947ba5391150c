// The browser host of Losses' visuals: the same shaders as the native visualiser (served from
// visualiser/Shaders), fed by the server's WebSocket of frames, over the browser's camera or the
// generated feed. The scene's geometry is computed in scene.vert; this file only decides what to
// draw in which order, as visualiser/Scenes/Stage.cs, CubicScene.cs, KnotScene.cs and
// Distortions.cs do (the numbers below are theirs).
'use strict';

const params = new URLSearchParams(location.search);
const stillAt = params.has('at') ? Number(params.get('at')) : null;
const cameraWanted = params.get('camera') !== '0';
const fixedSize = /^(\d+)x(\d+)$/.exec(params.get('size') || '');
// Part 3 as the original piece draws it (visualise --ldd): Distortions.OriginalChannelShift.
const original = params.get('ldd') === '1';
let random = 0x9E3779B9; // xorshift32, one draw per drawn part-3 frame, as Stage.NextChance
function nextChance() {
  random ^= random << 13; random >>>= 0;
  random ^= random >>> 17;
  random ^= random << 5; random >>>= 0;
  return Math.fround((random >>> 8) * (1 / (1 << 24)));
}

const GradientClamp = 0.1, PixelsPerGradient = 100, BubbleAmplitude = 100, MaxBubbles = 64;
const OrbitSpeed = 0.35, FeedFps = 30;
const Shape = { CubicCurve: 0, KnotCurve: 1, ErrorSegments: 2, SamplePoints: 3 };
const CurveSegments = 240, KnotSegments = 900;

const stats = window.lossesStats = {
  framesReceived: 0, framesLost: 0, fps: 0, part: 0, camera: false, cameraPath: null, cameraFrames: 0, latencyMs: null,
  generation: -1, drawn: 0, stillReady: false, status: '', error: null,
};

const canvas = document.getElementById('stage');
const gl = canvas.getContext('webgl2', { antialias: false, alpha: false, preserveDrawingBuffer: stillAt !== null });
const hud = document.getElementById('hud');
const messageBox = document.getElementById('message');
const notice = document.getElementById('notice');
const picker = document.getElementById('picker');
const select = document.getElementById('camera-select');
const monitor = document.getElementById('monitor');

function fail(text) {
  stats.error = text;
  messageBox.textContent = text;
  messageBox.hidden = false;
}

let layout = null;
let latest = null;          // the newest snapshot (see visualiser/Web/Snapshot.cs)
let arrival = 0;            // performance.now() when it came
let drawnIndex = -1;
let lastIndex = -1;
let clockOffset = 0, bestRtt = Infinity; // server clock − page clock, ms
const latencies = [];
const drawTimes = [];
const lossHistory = [];

// ---- GL: programs from the shared files, uniforms looked up once -------------------------------
const Preamble = '#version 300 es\nprecision highp float;\nprecision highp int;\n#define LOSSES_WEBGL 1\n';

async function loadPrograms() {
  const manifest = await (await fetch('/shaders/programs.json')).json();
  const files = {};
  for (const p of Object.values(manifest)) for (const f of [...p.vertex, ...p.fragment]) files[f] = null;
  await Promise.all(Object.keys(files).map(async f => { files[f] = await (await fetch('/shaders/' + f)).text(); }));
  const programs = {};
  for (const [name, p] of Object.entries(manifest)) {
    if (name === 'image') continue; // the native HUD's text; the page's text is HTML
    const source = list => Preamble + list.map(f => files[f] + '\n').join('');
    programs[name] = link(name, source(p.vertex), source(p.fragment));
  }
  return programs;
}

function link(name, vertex, fragment) {
  const compile = (type, text) => {
    const s = gl.createShader(type);
    gl.shaderSource(s, text);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`${name}: ${gl.getShaderInfoLog(s)}`);
    return s;
  };
  const program = gl.createProgram();
  gl.attachShader(program, compile(gl.VERTEX_SHADER, vertex));
  gl.attachShader(program, compile(gl.FRAGMENT_SHADER, fragment));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`${name}: ${gl.getProgramInfoLog(program)}`);
  const u = {};
  const count = gl.getProgramParameter(program, gl.ACTIVE_UNIFORMS);
  for (let i = 0; i < count; i++) {
    const info = gl.getActiveUniform(program, i);
    const key = info.name.replace(/\[0\]$/, '');
    u[key] = gl.getUniformLocation(program, info.name);
  }
  return { program, u };
}

let P = null;
const emptyVao = gl ? gl.createVertexArray() : null;
const pointData = new Float32Array(128);

function newTexture() {
  const t = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, t);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  return { handle: t, width: 0, height: 0, smooth: true, framebuffer: null };
}

function setSmooth(tex, smooth) {
  if (tex.smooth === smooth) return;
  tex.smooth = smooth;
  gl.bindTexture(gl.TEXTURE_2D, tex.handle);
  const f = smooth ? gl.LINEAR : gl.NEAREST;
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, f);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, f);
}

// ---- The snapshot: a frame plus what the visuals remember --------------------------------------
function parse(buffer, offset = 0) {
  const v = new DataView(buffer, offset);
  const F = layout.fields, base = layout.headerBytes;
  const lingeringCount = v.getUint32(4, true), bubbleCount = v.getUint32(8, true);
  const f32 = (o) => v.getFloat32(base + o, true);
  const i32 = (o) => v.getInt32(base + o, true);
  const i64 = (o) => Number(v.getBigInt64(base + o, true));
  const four = (o) => [f32(o), f32(o + 4), f32(o + 8), f32(o + 12)];
  const pointCount = Math.max(0, Math.min(i32(F.pointCount), layout.maxPoints));
  const points = new Float32Array(buffer.slice(offset + base + F.points, offset + base + F.points + 4 * pointCount));
  const frame = {
    index: i64(F.index), sampleTime: i64(F.sampleTime), sampleRate: i32(F.sampleRate), part: i32(F.part),
    model: i32(F.model), targetSteps: i64(F.targetSteps), totalSteps: i64(F.totalSteps),
    cubicTargets: i32(F.cubicTargets), knotTargets: i32(F.knotTargets), loss: f32(F.loss), detune: f32(F.detune),
    target: four(F.target), theta: four(F.theta), gradient: four(F.gradient),
    knotN: [i32(F.knotN), i32(F.knotN + 4), i32(F.knotN + 8)], points, voices: i32(F.voices),
  };
  let at = base + layout.frameSize;
  const lingering = [];
  for (let i = 0; i < lingeringCount; i++, at += 44) {
    const g = k => v.getFloat32(at + 4 * k, true);
    lingering.push({ target: [g(0), g(1), g(2), g(3)], theta: [g(4), g(5), g(6), g(7)], born: g(8), drift: [g(9), g(10)] });
  }
  const bubbles = [];
  for (let i = 0; i < bubbleCount; i++, at += 12)
    bubbles.push({ x: v.getFloat32(at, true), y: v.getFloat32(at + 4, true), born: v.getFloat32(at + 8, true) });
  return {
    generation: v.getFloat64(16, true), serverMs: v.getFloat64(24, true), serverLost: v.getFloat64(32, true),
    still: (v.getUint32(12, true) & 1) !== 0, frame, lingering, bubbles,
    seconds: frame.sampleRate > 0 ? frame.sampleTime / frame.sampleRate : 0,
    bytes: at,
  };
}

// The newest message waiting to be drawn, parsed whole only when drawn (750 come a second, 30–60 are drawn).
let waitingBuffer = null, waitingAt = -1;
const int64 = (v, o) => v.getUint32(o, true) + 4294967296 * v.getInt32(o + 4, true);

/** Counts one message of the WebSocket and keeps it as the newest; returns its length. */
function note(buffer, v, at) {
  const F = layout.fields, base = at + layout.headerBytes;
  stats.framesReceived++;
  const generation = v.getFloat64(at + 16, true);
  if (generation !== stats.generation) {
    stats.generation = generation;
    lastIndex = -1;
    lossHistory.length = 0;
  }
  const index = int64(v, base + F.index);
  if (lastIndex >= 0 && index > lastIndex + 1) stats.framesLost += index - lastIndex - 1;
  if (index > lastIndex) lastIndex = index;
  waitingBuffer = buffer; waitingAt = at;
  arrival = performance.now();
  stats.part = v.getInt32(base + F.part, true);
  lossHistory.push(v.getFloat32(base + F.loss, true));
  if (lossHistory.length > 4000) lossHistory.splice(0, lossHistory.length - 3000);
  return layout.headerBytes + layout.frameSize + 44 * v.getUint32(at + 4, true) + 12 * v.getUint32(at + 8, true);
}

// ---- The video: camera (WebCodecs or the video element), or the generated feed ----------------
const video = { texture: null, ready: false, pendingFrame: null, element: null, elementNew: false, stream: null };
let patternTick = -1;

async function listCameras() {
  const devices = (await navigator.mediaDevices.enumerateDevices()).filter(d => d.kind === 'videoinput');
  select.innerHTML = '';
  devices.forEach((d, i) => {
    const o = document.createElement('option');
    o.value = d.deviceId;
    o.textContent = d.label || `camera ${i + 1}`;
    select.appendChild(o);
  });
  const remembered = localStorage.getItem('losses.camera');
  if (remembered && devices.some(d => d.deviceId === remembered)) select.value = remembered;
  return devices;
}

async function startCamera(deviceId) {
  stopCamera();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    showNotice(window.isSecureContext ? 'no camera API in this browser: the generated feed instead'
      : 'no camera over plain http from another machine: serve with --tls (or open it on localhost); the generated feed instead');
    return false;
  }
  try {
    const constraints = { video: deviceId ? { deviceId: { exact: deviceId } } : { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false };
    const stream = await navigator.mediaDevices.getUserMedia(constraints);
    video.stream = stream;
    const track = stream.getVideoTracks()[0];
    const settings = track.getSettings();
    if (settings.deviceId) localStorage.setItem('losses.camera', settings.deviceId);
    stats.cameraPath = typeof MediaStreamTrackProcessor === 'function' ? 'webcodecs' : 'video';
    if (stats.cameraPath === 'webcodecs') {
      // WebCodecs, without drawing a <video> element: each camera frame copied as RGBA into memory
      // (the browser converts) and uploaded as plain pixels. Handing the VideoFrame to texImage2D
      // instead made a software renderer's GPU process convert and synchronise on every frame: parts 3
      // and 4 drew 17 and 15 frames a second on llvmpipe, 25 and 30 with the copy (bench web, docs/web.md).
      // Frames of parts 1 and 2, which draw no video, are let go unread.
      const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
      (async () => {
        let copies = typeof VideoFrame.prototype.copyTo === 'function';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (copies) {
            if (!videoDrawn()) { value.close(); continue; }
            try { await copyFrame(value); }
            catch (e) { copies = false; console.warn('the camera\'s frames go to texImage2D as VideoFrames: no RGBA copy here:', e); }
            finally { value.close(); }
            continue;
          }
          if (video.pendingFrame) video.pendingFrame.close();
          video.pendingFrame = value;
        }
      })().catch(() => {});
    } else {
      const el = video.element = document.createElement('video');
      el.muted = true; el.playsInline = true; el.srcObject = stream;
      await el.play();
      const onFrame = () => { video.elementNew = true; el.requestVideoFrameCallback(onFrame); };
      if (el.requestVideoFrameCallback) el.requestVideoFrameCallback(onFrame); else video.elementNew = true;
    }
    stats.camera = true;
    hideNotice();
    await listCameras();
    return true;
  } catch (e) {
    showNotice(`no camera (${e.name || e}): the generated feed instead — allow the camera and reload, or pick one with C`);
    stats.camera = false;
    return false;
  }
}

const videoDrawn = () => stats.part === 3 || stats.part === 4 || stillAt !== null;
// Two buffers: the copy under way writes one while a draw may upload the other.
const pixels = { back: null, front: null, width: 0, height: 0, fresh: false };

/** The camera frame's pixels as RGBA into memory (the browser converts), ready for a plain texture upload. */
async function copyFrame(frame) {
  const w = frame.visibleRect.width, h = frame.visibleRect.height; // what copyTo copies
  if (!pixels.back || pixels.back.length !== w * h * 4) pixels.back = new Uint8Array(w * h * 4);
  await frame.copyTo(pixels.back, { format: 'RGBA', colorSpace: 'srgb' });
  [pixels.front, pixels.back] = [pixels.back, pixels.front];
  pixels.width = w; pixels.height = h; pixels.fresh = true;
}

function stopCamera() {
  if (video.stream) video.stream.getTracks().forEach(t => t.stop());
  video.stream = null;
  if (video.pendingFrame) { video.pendingFrame.close(); video.pendingFrame = null; }
  video.element = null;
  video.ready = false;
  stats.camera = false;
}

function showNotice(text) { notice.textContent = text; notice.hidden = false; }
function hideNotice() { notice.hidden = true; }

/** The video texture's image for this draw; true when there is one. */
function updateVideo(seconds, width, height) {
  const t = video.texture;
  if (stats.camera) {
    const frame = video.pendingFrame;
    if (pixels.fresh) {
      gl.bindTexture(gl.TEXTURE_2D, t.handle);
      if (t.width === pixels.width && t.height === pixels.height) gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, t.width, t.height, gl.RGBA, gl.UNSIGNED_BYTE, pixels.front);
      else gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, pixels.width, pixels.height, 0, gl.RGBA, gl.UNSIGNED_BYTE, pixels.front);
      t.width = pixels.width; t.height = pixels.height;
      pixels.fresh = false;
      video.ready = true;
      stats.cameraFrames++;
    } else if (frame) {
      gl.bindTexture(gl.TEXTURE_2D, t.handle);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, frame);
      t.width = frame.displayWidth; t.height = frame.displayHeight;
      frame.close();
      video.pendingFrame = null;
      video.ready = true;
      stats.cameraFrames++;
    } else if (video.element && video.elementNew && video.element.videoWidth > 0) {
      gl.bindTexture(gl.TEXTURE_2D, t.handle);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, video.element);
      t.width = video.element.videoWidth; t.height = video.element.videoHeight;
      video.elementNew = false;
      video.ready = true;
      stats.cameraFrames++;
    }
    return video.ready;
  }
  // The generated feed: pattern.frag at half the frame's size, on the ticks of a 30 fps camera.
  const w = Math.max(16, Math.floor(width / 2)), h = Math.max(16, Math.floor(height / 2));
  const tick = Math.floor(seconds * FeedFps);
  if (tick !== patternTick || t.width !== w || t.height !== h) {
    if (t.width !== w || t.height !== h || !t.framebuffer) {
      gl.bindTexture(gl.TEXTURE_2D, t.handle);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, w, h, 0, gl.RGBA, gl.UNSIGNED_BYTE, null);
      t.width = w; t.height = h;
      if (!t.framebuffer) t.framebuffer = gl.createFramebuffer();
      gl.bindFramebuffer(gl.FRAMEBUFFER, t.framebuffer);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, t.handle, 0);
    }
    gl.bindFramebuffer(gl.FRAMEBUFFER, t.framebuffer);
    gl.viewport(0, 0, w, h);
    gl.disable(gl.BLEND);
    gl.useProgram(P.pattern.program);
    gl.uniform2f(P.pattern.u.uSize, w, h);
    gl.uniform1f(P.pattern.u.uTime, Math.fround(tick / FeedFps));
    gl.bindVertexArray(emptyVao);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    patternTick = tick;
  }
  return true;
}

// ---- The stage: as Stage.Draw --------------------------------------------------------------------
const clampGradient = g => Number.isFinite(g) ? Math.min(Math.max(g, -GradientClamp), GradientClamp) : 0;

/** Crops the video to the frame's aspect ("cover"): uv = pixel·scale + offset (Distortions.Cover). */
function cover(vw, vh, w, h) {
  const videoAspect = Math.fround(vw / vh), aspect = Math.fround(w / h);
  if (videoAspect > aspect) {
    const part = Math.fround(aspect / videoAspect);
    return { scale: [part / w, 1 / h], offset: [(1 - part) / 2, 0] };
  }
  const fraction = Math.fround(videoAspect / aspect);
  return { scale: [1 / w, fraction / h], offset: [0, (1 - fraction) / 2] };
}

function drawVideo(snapshot, now, w, h) {
  const f = snapshot.frame, t = video.texture;
  const c = cover(t.width, t.height, w, h);
  setSmooth(t, t.width !== w || t.height !== h);
  gl.disable(gl.BLEND);
  gl.activeTexture(gl.TEXTURE0);
  gl.bindTexture(gl.TEXTURE_2D, t.handle);
  gl.bindVertexArray(emptyVao);
  const planes = f.part === 3;
  const p = planes ? P.videoPlanes : P.video;
  gl.useProgram(p.program);
  gl.uniform1i(p.u.uVideo, 0);
  gl.uniform2f(p.u.uSize, w, h);
  const g = f.gradient.map(clampGradient);
  if (planes && original) {
    // The original's part 3: on a frame with probability loss × 100, each plane by 100·∂L/∂θ of its axis in x and y, unclamped.
    const shift = planes && nextChance() < Math.fround(f.loss * 100);
    const o = f.gradient.map(x => shift && Number.isFinite(x) ? Math.fround(PixelsPerGradient * x) : 0);
    gl.uniform2f(p.u.uRed, o[0], o[0]);
    gl.uniform2f(p.u.uGreen, o[1], o[1]);
    gl.uniform2f(p.u.uBlue, o[2], o[2]);
  } else {
    // Distortion 1: red along x by 100·∂L/∂θ₁, green along y by 100·∂L/∂θ₂, blue along x by 100·∂L/∂θ₃.
    gl.uniform2f(p.u.uRed, planes ? PixelsPerGradient * g[0] : 0, 0);
    gl.uniform2f(p.u.uGreen, 0, planes ? PixelsPerGradient * g[1] : 0);
    gl.uniform2f(p.u.uBlue, planes ? PixelsPerGradient * g[2] : 0, 0);
  }
  gl.uniform2f(p.u.uUvScale, c.scale[0], c.scale[1]);
  gl.uniform2f(p.u.uUvOffset, c.offset[0], c.offset[1]);
  gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  if (f.part === 4) {
    // Distortion 2: the live bubbles, youngest first in the list, drawn oldest first (the youngest on top).
    const live = [];
    for (let i = snapshot.bubbles.length - 1; i >= 0 && live.length < MaxBubbles; i--) {
      const b = snapshot.bubbles[i], age = now - b.born;
      if (age < 0 || age >= layout.bubbleSeconds) continue;
      live.push([Math.fround(b.x * w), Math.fround(b.y * h), Math.fround(h / 8 * (1 - age / layout.bubbleSeconds))]);
    }
    const q = P.bubble;
    gl.useProgram(q.program);
    gl.uniform1i(q.u.uVideo, 0);
    gl.uniform2f(q.u.uSize, w, h);
    gl.uniform2f(q.u.uGradient, g[0], g[1]);
    gl.uniform1f(q.u.uTime, now);
    gl.uniform1f(q.u.uAmplitude, BubbleAmplitude);
    gl.uniform2f(q.u.uUvScale, c.scale[0], c.scale[1]);
    gl.uniform2f(q.u.uUvOffset, c.offset[0], c.offset[1]);
    for (let i = live.length - 1; i >= 0; i--) {
      const [x, y, radius] = live[i];
      gl.uniform3f(q.u.uBubble, x, y, radius);
      const r = Math.ceil(radius) + 1;
      gl.uniform4f(q.u.uRect, x - r, y - r, 2 * r, 2 * r);
      gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    }
  }
  gl.enable(gl.BLEND);
}

function scene(shape, learned, target, theta, { knotN = [0, 0, 0], orbit = 0, age = -1, drift = [0, 0], points = null } = {}) {
  const s = P.scene;
  gl.uniform1i(s.u.uShape, shape);
  gl.uniform1i(s.u.uLearned, learned ? 1 : 0);
  gl.uniform4f(s.u.uTarget, target[0], target[1], target[2], target[3]);
  gl.uniform4f(s.u.uTheta, theta[0], theta[1], theta[2], theta[3]);
  gl.uniform3i(s.u.uKnotN, knotN[0], knotN[1], knotN[2]);
  gl.uniform1f(s.u.uOrbit, orbit);
  gl.uniform1f(s.u.uAge, age);
  gl.uniform2f(s.u.uDrift, drift[0], drift[1]);
  let count = 0;
  if (points) {
    count = Math.min(points.length, 128);
    pointData.fill(0);
    pointData.set(points.subarray(0, count));
    gl.uniform4fv(s.u.uPoints, pointData);
  }
  const vertices = shape === Shape.CubicCurve ? 6 * CurveSegments : shape === Shape.KnotCurve ? 6 * KnotSegments
    : shape === Shape.ErrorSegments ? 6 * count : 12 * count;
  if (vertices > 0) gl.drawArrays(gl.TRIANGLES, 0, vertices);
}

function drawOverlay(snapshot, now, w, h) {
  const f = snapshot.frame;
  gl.useProgram(P.scene.program);
  gl.uniform2f(P.scene.u.uSize, w, h);
  gl.bindVertexArray(emptyVao);
  if (f.model === layout.models.cubic) {
    for (const old of snapshot.lingering) {
      const age = Math.fround(now - old.born);
      if (age < 0 || age > layout.lingerSeconds) continue;
      scene(Shape.CubicCurve, false, old.target, old.theta, { age, drift: old.drift });
      scene(Shape.CubicCurve, true, old.target, old.theta, { age, drift: old.drift });
    }
    scene(Shape.ErrorSegments, false, f.target, f.theta, { points: f.points });
    scene(Shape.CubicCurve, false, f.target, f.theta);
    scene(Shape.CubicCurve, true, f.target, f.theta);
    scene(Shape.SamplePoints, false, f.target, f.theta, { points: f.points });
  } else if (f.model === layout.models.knot) {
    const orbit = (now * OrbitSpeed) % (2 * Math.PI);
    scene(Shape.KnotCurve, false, f.target, f.theta, { knotN: f.knotN, orbit });
    scene(Shape.KnotCurve, true, f.target, f.theta, { knotN: f.knotN, orbit });
  }
}

function resize() {
  let w, h;
  if (fixedSize) { w = Number(fixedSize[1]); h = Number(fixedSize[2]); }
  else { w = Math.round(canvas.clientWidth * devicePixelRatio); h = Math.round(canvas.clientHeight * devicePixelRatio); }
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  return [w, h];
}

const pageStart = performance.now();

function draw() {
  const [w, h] = resize();
  const wall = (performance.now() - pageStart) / 1000;
  if (waitingAt >= 0) { latest = parse(waitingBuffer, waitingAt); waitingBuffer = null; waitingAt = -1; }
  const snapshot = latest;
  // The engine's clock, run on by the wall clock between frames (at most a quarter second), as the native window does.
  const now = stillAt !== null ? stillAt : snapshot ? snapshot.seconds + Math.min((performance.now() - arrival) / 1000, 0.25) : 0;
  const part = snapshot ? snapshot.frame.part : 1;
  // Parts 1 and 2 draw no video: a camera frame uploaded there would cost as much as the whole picture.
  const hasVideo = (part === 3 || part === 4) && updateVideo(stillAt !== null ? stillAt : wall, w, h);
  gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  gl.viewport(0, 0, w, h);
  gl.clearColor(0, 0, 0, 1);
  gl.clear(gl.COLOR_BUFFER_BIT);
  gl.disable(gl.DEPTH_TEST);
  gl.enable(gl.BLEND);
  gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
  if (stillAt !== null) random = 0x9E3779B9; // a still is the first frame drawn, as visualise -o still.png draws it
  if (hasVideo && video.texture.width > 0) drawVideo(snapshot, now, w, h);
  if (snapshot) drawOverlay(snapshot, now, w, h);
  if (snapshot && snapshot.frame.index !== drawnIndex) {
    drawnIndex = snapshot.frame.index;
    if (!snapshot.still) {
      // Publish (the server read it from the ring) → drawn, on the server's clock.
      const latency = performance.timeOrigin + performance.now() + clockOffset - snapshot.serverMs;
      latencies.push(latency);
      if (latencies.length > 600) latencies.shift();
      stats.latencyMs = median(latencies);
    }
  }
  const t = performance.now();
  drawTimes.push(t);
  while (drawTimes.length && drawTimes[0] < t - 2000) drawTimes.shift();
  stats.fps = drawTimes.length > 1 ? (drawTimes.length - 1) * 1000 / (drawTimes[drawTimes.length - 1] - drawTimes[0]) : 0;
  stats.drawn++;
  if (stillAt !== null && snapshot && (!stats.camera || video.ready || !(part === 3 || part === 4))) stats.stillReady = true;
  if (!hud.hidden) hud.textContent = hudText(snapshot);
  if (!monitor.hidden) drawMonitor(snapshot);
}

const median = a => { const s = [...a].sort((x, y) => x - y); return s.length ? s[s.length >> 1] : null; };
const cents = d => 1200 * Math.log2(1 + Math.abs(d));
const signed = (x, digits = 2) => (x >= 0 ? '+' : '') + x.toFixed(digits);

function hudText(s) {
  if (!s) return 'no frame yet';
  const f = s.frame;
  const model = f.model === layout.models.cubic ? `cubic  target ${f.target.map(x => signed(x)).join(' ')}`
    : f.model === layout.models.knot ? `knot (${f.knotN.join(',')})  phases ${f.target.slice(0, 3).map(x => x.toFixed(2)).join(' ')}` : 'no model yet';
  return `part ${f.part}   ${model}\n` +
    `loss ${f.loss.toFixed(5)}   detune ${f.detune.toFixed(4)} (${cents(f.detune).toFixed(1)} cents)\n` +
    `grad ${f.gradient.map(x => signed(x, 4)).join(' ')}\n` +
    `steps ${f.targetSteps} of this target, ${f.totalSteps} in all   t ${s.seconds.toFixed(2)} s\n` +
    `fps ${stats.fps.toFixed(1)}   frames ${stats.framesReceived} (lost ${stats.framesLost})   latency ${stats.latencyMs === null ? '–' : stats.latencyMs.toFixed(1) + ' ms'}   ${stats.camera ? 'camera' : 'generated feed'}`;
}

// ---- The performer's monitor: the loss large, the part, the cents -----------------------------
const mLoss = document.getElementById('m-loss');
function drawMonitor(s) {
  const f = s ? s.frame : null;
  document.getElementById('m-part').textContent = f ? `part ${f.part}` : 'part –';
  document.getElementById('m-cents').textContent = f ? `${cents(f.detune).toFixed(1)} cents` : '– cents';
  document.getElementById('m-steps').textContent = f ? `step ${f.targetSteps} of this target · ${f.totalSteps} in all` : '';
  document.getElementById('m-model').textContent = f ? (f.model === layout.models.cubic ? 'cubic' : f.model === layout.models.knot ? 'knot' : '') + `  loss ${f.loss.toExponential(2)}` : '';
  const c = mLoss.getContext('2d');
  const w = mLoss.width = mLoss.clientWidth * devicePixelRatio, h = mLoss.height = mLoss.clientHeight * devicePixelRatio;
  c.fillStyle = '#000'; c.fillRect(0, 0, w, h);
  const n = Math.min(lossHistory.length, 1500);
  if (n < 2) return;
  const values = lossHistory.slice(-n).map(x => Math.log10(Math.max(x, 1e-6)));
  const lo = -6, hi = Math.max(0, ...values);
  c.strokeStyle = '#ff3a2a'; c.lineWidth = 3 * devicePixelRatio; c.beginPath();
  values.forEach((v, i) => { const x = i / (n - 1) * w, y = h - (v - lo) / (hi - lo) * h; i ? c.lineTo(x, y) : c.moveTo(x, y); });
  c.stroke();
}

// ---- The frames: a WebSocket that follows the server, reconnecting when it goes ---------------
function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/frames${params.has('gather') ? '?gather=' + encodeURIComponent(params.get('gather')) : ''}`);
  ws.binaryType = 'arraybuffer';
  let pinger = null;
  ws.onopen = () => {
    const ping = () => ws.readyState === 1 && ws.send(`ping ${performance.timeOrigin + performance.now()}`);
    ping();
    pinger = setInterval(ping, 2000);
  };
  ws.onmessage = e => {
    if (typeof e.data === 'string') {
      const text = e.data;
      if (text.startsWith('pong ')) {
        const [, sent, server] = text.split(' ').map(Number);
        const received = performance.timeOrigin + performance.now();
        const rtt = received - sent;
        if (rtt <= bestRtt * 1.5 || rtt < 5) { bestRtt = Math.min(bestRtt, rtt); clockOffset = server - (sent + received) / 2; }
        return;
      }
      const status = JSON.parse(text);
      stats.status = status.line;
      messageBox.textContent = status.line;
      messageBox.hidden = status.live || (stats.framesReceived > 0 && stats.status.startsWith('playing'));
      return;
    }
    // One WebSocket message holds one snapshot or several in a row (each one's size follows from its header).
    const v = new DataView(e.data);
    for (let at = 0; at < e.data.byteLength;) at += note(e.data, v, at);
  };
  ws.onclose = () => {
    clearInterval(pinger);
    messageBox.textContent = 'the server stopped: reconnecting…';
    messageBox.hidden = false;
    setTimeout(connect, 1000);
  };
}

function loop() {
  try { draw(); } catch (e) { fail(String(e)); return; }
  requestAnimationFrame(loop);
}

document.addEventListener('keydown', e => {
  if (e.target instanceof HTMLSelectElement) return;
  const k = e.key.toLowerCase();
  if (k === 'f') { if (document.fullscreenElement) document.exitFullscreen(); else document.documentElement.requestFullscreen().catch(() => {}); }
  else if (k === 'h') hud.hidden = !hud.hidden;
  else if (k === 'm') monitor.hidden = !monitor.hidden;
  else if (k === 'c') picker.hidden = !picker.hidden;
});
select.addEventListener('change', () => { localStorage.setItem('losses.camera', select.value); startCamera(select.value); });

/** Starts the recent figures (fps, latency) afresh: the benchmark measures each part on its own. */
window.lossesResetStats = () => { latencies.length = 0; drawTimes.length = 0; stats.latencyMs = null; stats.fps = 0; };

/** The picture drawn last, as a PNG data URL (tests compare it with the native visualiser's still). */
window.lossesCapture = () => canvas.toDataURL('image/png');

(async () => {
  if (!gl) { fail('this browser has no WebGL2: use a current Chrome, Firefox, Edge or Safari'); return; }
  try {
    layout = await (await fetch('/layout.json')).json();
    P = await loadPrograms();
  } catch (e) { fail(`cannot start: ${e.message || e}`); return; }
  video.texture = newTexture();
  if (params.get('monitor') === '1') monitor.hidden = false;
  if (params.get('hud') === '1') hud.hidden = false;
  if (cameraWanted) {
    const remembered = localStorage.getItem('losses.camera');
    await startCamera(remembered || null);
  }
  if (stillAt !== null) {
    const response = await fetch(`/still?at=${stillAt}`);
    if (!response.ok) { fail(await response.text()); return; }
    const message = await response.arrayBuffer();
    note(message, new DataView(message), 0);
  } else {
    connect();
  }
  requestAnimationFrame(loop);
})();
