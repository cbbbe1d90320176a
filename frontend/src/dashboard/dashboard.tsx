// Placeholder for the officials' dashboard (issue 5). It is loaded with import() from the #/dashboard
// route, so whatever grows here stays in its own chunk and out of the volunteer bundle.
export default function Dashboard() {
  return (
    <main class="page">
      <h1>Bảng điều khiển</h1>
      <p>Báo cáo độ phủ dành cho cán bộ sẽ có ở đây.</p>
    </main>
  );
}
