/** Usage rows (day × task) as stacked bars: one bar per day, one segment per task. */
export interface UsageRow {
  day: string;
  task: string;
  requests: number;
}

export interface Bar {
  day: string;
  total: number;
  segments: { task: string; value: number; offset: number }[];
}

export function stackByDay(rows: UsageRow[]): { bars: Bar[]; tasks: string[]; max: number } {
  const tasks = [...new Set(rows.map((r) => r.task))].sort();
  const days = [...new Set(rows.map((r) => r.day))].sort();
  const bars = days.map((day) => {
    let offset = 0;
    const segments = tasks.map((task) => {
      const value = rows.filter((r) => r.day === day && r.task === task).reduce((n, r) => n + r.requests, 0);
      const segment = { task, value, offset };
      offset += value;
      return segment;
    });
    return { day, total: offset, segments: segments.filter((s) => s.value > 0) };
  });
  return { bars, tasks, max: Math.max(1, ...bars.map((b) => b.total)) };
}
