/**
 * A tiny PNG line chart without a browser: an RGB canvas, lines, a 5×7 pixel
 * font, encoded with node:zlib. Enough for the soak's plot of memory, lag and
 * event-loop delay over time (bench/scenarios/b6-soak.ts).
 */
import { deflateSync } from 'node:zlib';

type Rgb = readonly [number, number, number];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** 5×7 glyphs, one string of 7 rows of 5 bits each ('#' on). */
const FONT: Record<string, string> = {
  '0': '.###.#...##..###.#.###..##...#.###.',
  '1': '..#...##....#....#....#....#...###.',
  '2': '.###.#...#....#...#...#...#....#####',
  '3': '#####...#...#.....#....##...#.###.',
  '4': '...#...##..#.#.#..#.#####...#....#.',
  '5': '#####....####.....#....##...#.###.',
  '6': '..##..#...#....####.#...##...#.###.',
  '7': '#####....#...#...#...#....#....#...',
  '8': '.###.#...##...#.###.#...##...#.###.',
  '9': '.###.#...##...#.####....#...#..##..',
  '.': '......................##...##.',
  ' ': '',
  '/': '.....#...#...#...#...#.........',
  '(': '...#...#...#....#....#.....#.....#.',
  ')': '.#.....#.....#....#....#...#...#...',
  '-': '...............###...............',
  '%': '##...##..#...#...#...#...#..##...##',
  A: '.###.#...##...#######...##...##...#',
  B: '####.#...##...#####.#...##...#####.',
  C: '.###.#...##....#....#....#...#.###.',
  D: '####.#...##...##...##...##...#####.',
  E: '######....#....####.#....#....#####',
  F: '######....#....####.#....#....#....',
  G: '.###.#...##....#.####...##...#.####',
  I: '.###...#....#....#....#....#...###.',
  K: '#...##..#.#.#..##...#.#..#..#.#...#',
  L: '#....#....#....#....#....#....#####',
  M: '#...###.###.#.##...##...##...##...#',
  N: '#...###..##.#.##..###...##...##...#',
  O: '.###.#...##...##...##...##...#.###.',
  P: '####.#...##...#####.#....#....#....',
  R: '####.#...##...#####.#.#..#..#.#...#',
  S: '.####.....#.....###.....#....#####.',
  T: '#####..#....#....#....#....#....#..',
  U: '#...##...##...##...##...##...#.###.',
  V: '#...##...##...##...##...#.#.#...#..',
  W: '#...##...##...##.#.##.#.##.#.#.#.#.',
  X: '#...##...#.#.#...#...#.#.#...##...#',
  Y: '#...##...#.#.#...#....#....#....#..',
};

export class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.pixels.set(background, i * 3);
  }

  set(x: number, y: number, c: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    this.pixels.set(c, (yi * this.width + xi) * 3);
  }

  line(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let i = 0; i <= steps; i++) this.set(x0 + ((x1 - x0) * i) / steps, y0 + ((y1 - y0) * i) / steps, c);
  }

  text(x: number, y: number, s: string, c: Rgb): void {
    let cx = x;
    for (const ch of s.toUpperCase()) {
      const g = (FONT[ch] ?? '').padEnd(35, '.');
      for (let row = 0; row < 7; row++) for (let col = 0; col < 5; col++) if (g[row * 5 + col] === '#') this.set(cx + col, y + row, c);
      cx += 6;
    }
  }

  png(): Buffer {
    const raw = Buffer.alloc((this.width * 3 + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (this.width * 3 + 1)] = 0;
      Buffer.from(this.pixels.buffer, this.pixels.byteOffset + y * this.width * 3, this.width * 3).copy(raw, y * (this.width * 3 + 1) + 1);
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(this.width, 0);
    ihdr.writeUInt32BE(this.height, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // RGB
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  }
}

export interface Panel {
  readonly title: string;
  /** [x, y] points, x in the same unit for every panel (minutes). */
  readonly points: readonly (readonly [number, number])[];
  readonly color: Rgb;
  /** A vertical marker, e.g. the end of the warm-up (same unit as x). */
  readonly markerX?: number;
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? String(Math.round(v)) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** Panels stacked vertically, each with its title, y range labels and x axis in minutes. */
export function chart(panels: readonly Panel[], o: { width?: number; panelHeight?: number; xLabel?: string } = {}): Buffer {
  const width = o.width ?? 640;
  const ph = o.panelHeight ?? 150;
  const left = 56;
  const right = 12;
  const top = 16;
  const gap = 30;
  const canvas = new Canvas(width, top + panels.length * (ph + gap) + 8);
  const grey: Rgb = [200, 200, 200];
  const black: Rgb = [0, 0, 0];
  const xMax = Math.max(1e-9, ...panels.flatMap((p) => p.points.map(([x]) => x)));
  panels.forEach((p, i) => {
    const y0 = top + i * (ph + gap);
    const ys = p.points.map(([, y]) => y);
    const yMax = Math.max(1e-9, ...ys) * 1.1;
    const yMin = 0;
    const px = (x: number): number => left + ((width - left - right) * x) / xMax;
    const py = (y: number): number => y0 + ph - (ph * (y - yMin)) / (yMax - yMin);
    canvas.text(left, y0 - 12, p.title, black);
    for (let k = 0; k <= 4; k++) {
      const gy = y0 + (ph * k) / 4;
      canvas.line(left, gy, width - right, gy, grey);
      canvas.text(2, gy - 3, fmt(yMax - ((yMax - yMin) * k) / 4), black);
    }
    canvas.line(left, y0, left, y0 + ph, black);
    canvas.line(left, y0 + ph, width - right, y0 + ph, black);
    for (let k = 0; k <= 5; k++) canvas.text(px((xMax * k) / 5) - 6, y0 + ph + 4, fmt((xMax * k) / 5), black);
    if (p.markerX !== undefined) for (let y = y0; y < y0 + ph; y += 4) canvas.line(px(p.markerX), y, px(p.markerX), y + 1, [230, 120, 0]);
    for (let k = 1; k < p.points.length; k++) {
      const [ax, ay] = p.points[k - 1] as readonly [number, number];
      const [bx, by] = p.points[k] as readonly [number, number];
      canvas.line(px(ax), py(ay), px(bx), py(by), p.color);
      canvas.line(px(ax), py(ay) + 1, px(bx), py(by) + 1, p.color);
    }
  });
  if (o.xLabel) canvas.text(width - right - o.xLabel.length * 6, canvas.height - 9, o.xLabel, black);
  return canvas.png();
}
