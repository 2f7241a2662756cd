/** A short two-note chime made with the Web Audio API (no audio file to download). */
let context: AudioContext | null = null;

function audioContext(): AudioContext | null {
  if (typeof window === "undefined" || typeof window.AudioContext !== "function") return null;
  context ??= new window.AudioContext();
  return context;
}

/**
 * Browsers start an AudioContext suspended until the user interacts with the page: resume it on
 * the first click or key press so later chimes can play.
 */
export function unlockAudioOnFirstGesture(): () => void {
  const unlock = () => {
    const ctx = audioContext();
    if (ctx && ctx.state === "suspended") void ctx.resume().catch(() => {});
    stop();
  };
  const stop = () => {
    window.removeEventListener("pointerdown", unlock);
    window.removeEventListener("keydown", unlock);
  };
  window.addEventListener("pointerdown", unlock);
  window.addEventListener("keydown", unlock);
  return stop;
}

export function playChime(): void {
  const ctx = audioContext();
  if (ctx?.state !== "running") return;
  const start = ctx.currentTime + 0.01;
  const gain = ctx.createGain();
  gain.connect(ctx.destination);
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.18, start + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.42);
  for (const [frequency, offset] of [
    [880, 0],
    [1318.5, 0.12],
  ] as const) {
    const osc = ctx.createOscillator();
    osc.type = "sine";
    osc.frequency.setValueAtTime(frequency, start + offset);
    osc.connect(gain);
    osc.start(start + offset);
    osc.stop(start + 0.45);
  }
}
