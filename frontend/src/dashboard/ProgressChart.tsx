// The daily progress line: cumulative % of households visited and covered, day by day (uPlot). The
// legend is ours, fixed below the chart with the latest figures: uPlot's own one follows a cursor that
// a phone does not have, and showed empty values in hollow boxes.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { DayFigures } from '../api/types';
import { d, day as formatDay, pct } from './messages';

const VISITED = '#1565c0';
const COVERED = '#b3261e';
const DAY = 86_400;

export function ProgressChart({ days }: { days: DayFigures[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || days.length === 0) return;
    const xs = days.map((x) => Date.parse(`${x.day}T00:00:00Z`) / 1000);
    const data: uPlot.AlignedData = [xs, days.map((x) => x.cumulative_visited_pct), days.map((x) => x.cumulative_covered_pct)];
    const size = () => ({ width: Math.max(el.clientWidth, 260), height: 220 });
    const plot = new uPlot(
      {
        ...size(),
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'UTC'),
        scales: { y: { range: [0, 100] } },
        legend: { show: false },
        axes: [
          {
            // Whole days only: a tick between two days would repeat the date.
            incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY],
            values: (_u, ticks) => ticks.map((t) => formatDay(new Date(t * 1000).toISOString().slice(0, 10)).slice(0, 5)),
          },
          { values: (_u, ticks) => ticks.map((t) => `${t}%`), size: 48 },
        ],
        series: [
          { label: d('day'), value: (_u, t) => (t == null ? '' : formatDay(new Date(t * 1000).toISOString().slice(0, 10))) },
          { label: d('cumulative_visited'), stroke: VISITED, width: 2, value: (_u, v) => (v == null ? '' : pct(v)) },
          { label: d('cumulative_covered'), stroke: COVERED, width: 2, value: (_u, v) => (v == null ? '' : pct(v)) },
        ],
      },
      data,
      el,
    );
    const onResize = () => plot.setSize(size());
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [days]);
  if (days.length === 0) return <p class="muted">{d('no_days')}</p>;
  const last = days[days.length - 1];
  return (
    <>
      <div ref={box} class="dash-chart" data-testid="progress-chart" role="img" aria-label={d('progress')} />
      <ul class="legend chart-legend" aria-label={d('legend')} data-testid="chart-legend">
        <li>
          <span class="line" style={{ background: VISITED }} aria-hidden="true" /> {d('cumulative_visited')}: <strong>{pct(last.cumulative_visited_pct)}</strong>
        </li>
        <li>
          <span class="line" style={{ background: COVERED }} aria-hidden="true" /> {d('cumulative_covered')}: <strong>{pct(last.cumulative_covered_pct)}</strong>
        </li>
        <li class="muted">{d('latest', { day: formatDay(last.day) })}</li>
      </ul>
    </>
  );
}
