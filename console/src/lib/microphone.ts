/** The microphone as 16 kHz mono float samples (an AudioWorklet in a 16 kHz AudioContext: the browser resamples). */

export const CAPTURE_RATE = 16_000;

export interface MicrophoneCapture {
  stop(): Promise<void>;
}

export async function startMicrophone(onSamples: (samples: Float32Array) => void): Promise<MicrophoneCapture> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const context = new AudioContext({ sampleRate: CAPTURE_RATE });
  await context.audioWorklet.addModule("/pcm-capture-worklet.js");
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, "pcm-capture");
  node.port.onmessage = (event: MessageEvent<Float32Array>) => onSamples(event.data);
  source.connect(node);
  return {
    async stop() {
      node.port.onmessage = null;
      source.disconnect();
      node.disconnect();
      stream.getTracks().forEach((track) => track.stop());
      await context.close();
    },
  };
}

/** Joins captured blocks into one buffer. */
export function concatSamples(blocks: Float32Array[]): Float32Array {
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const block of blocks) {
    out.set(block, offset);
    offset += block.length;
  }
  return out;
}
