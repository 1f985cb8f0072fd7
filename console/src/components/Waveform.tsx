import { useEffect, useRef } from "react";

/** The waveform of an audio file (peak per pixel column), drawn once it is decoded. */
export function Waveform({ audio, label }: { audio: Blob | null; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const element = canvas.current;
    if (!audio || !element) return;
    let cancelled = false;
    void (async () => {
      const context = new OfflineAudioContext(1, 1, 16_000);
      try {
        const decoded = await context.decodeAudioData(await audio.arrayBuffer());
        if (cancelled) return;
        const samples = decoded.getChannelData(0);
        const draw = element.getContext("2d");
        if (!draw) return;
        const { width, height } = element;
        draw.clearRect(0, 0, width, height);
        draw.fillStyle = "#228be6";
        const perColumn = Math.max(1, Math.floor(samples.length / width));
        for (let x = 0; x < width; x += 1) {
          let peak = 0;
          for (let i = x * perColumn; i < Math.min(samples.length, (x + 1) * perColumn); i += 1) {
            peak = Math.max(peak, Math.abs(samples[i] ?? 0));
          }
          const bar = Math.max(1, peak * height);
          draw.fillRect(x, (height - bar) / 2, 1, bar);
        }
        element.dataset.drawn = "true";
      } catch {
        element.dataset.drawn = "undecodable";
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [audio]);
  return <canvas ref={canvas} width={600} height={80} role="img" aria-label={label} style={{ width: "100%", height: 80 }} />;
}
