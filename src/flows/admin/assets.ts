/** Styles of the administration console, served at /assets/admin.css (the CSP allows no inline styles). */
export const ADMIN_CSS = `
.admin-nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; margin-bottom: 1.25rem; padding-bottom: .75rem; border-bottom: 1px solid #e4e8ee; }
.admin-nav a[aria-current="page"] { font-weight: 700; text-decoration: none; color: var(--fg); }
.admin-nav .who { margin-left: auto; color: var(--muted); font-size: .9rem; }
.admin-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: 1rem; margin: 1rem 0; }
.admin-tile { border: 1px solid #e4e8ee; border-radius: 6px; padding: .75rem 1rem; }
.admin-tile .n { font-size: 1.75rem; font-weight: 700; display: block; }
.field-error { color: var(--danger); margin: .25rem 0 0; }
input[aria-invalid="true"], select[aria-invalid="true"], textarea[aria-invalid="true"] { border-color: var(--danger); }
fieldset { border: 1px solid #e4e8ee; border-radius: 6px; margin: 1.25rem 0; padding: .5rem 1rem 1rem; }
legend { font-weight: 700; padding: 0 .25rem; }
.check { display: flex; gap: .5rem; align-items: baseline; font-weight: 400; margin-top: .5rem; }
.check input { margin: 0; }
.checks { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 0 1rem; }
.hint { color: var(--muted); font-size: .9rem; margin: .25rem 0 0; }
input[type=number], input[type=date], input[type=search], input[type=url] { width: 100%; padding: .6rem; font-size: 1rem; border: 1px solid #9aa3ae; border-radius: 4px; }
.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: 0 1rem; align-items: start; }
.filters > div:last-child { align-self: end; }
.filters button { margin-top: 1rem; }
.actions { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.actions form { border: 1px solid #e4e8ee; border-radius: 6px; padding: .5rem 1rem 1rem; flex: 1 1 14rem; }
.actions form button { margin-top: .75rem; }
.secret { font-size: 1.1rem; padding: .5rem .75rem; background: #f6f8fa; border: 1px dashed #9aa3ae; display: inline-block; user-select: all; }
.report { display: grid; grid-template-columns: minmax(0, 2fr) minmax(12rem, 1fr); gap: 1rem 2rem; align-items: start; margin-bottom: 2rem; }
.report svg { max-width: 100%; height: auto; }
.chart .bar-rect { fill: var(--accent); }
.chart .axis { stroke: #9aa3ae; }
table.compact td, table.compact th { padding: .25rem .4rem; font-size: .9rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.tag { display: inline-block; font-size: .8rem; padding: 0 .4rem; border-radius: 3px; background: #e4e8ee; }
.pager { display: flex; gap: 1rem; margin-top: 1rem; }
.audit-details { font-size: .8rem; }
.admin-nav a { padding: .25rem .5rem; border-radius: var(--radius-sm, 6px); text-decoration: none; font-weight: 600; }
.admin-nav a:hover, .admin-nav a[aria-current="page"] { background: var(--accent-soft, #eef3fd); }
.section-nav ul { list-style: none; padding: 0; margin: 0 0 1rem; display: flex; flex-wrap: wrap; gap: .25rem .5rem; }
.section-nav a { display: inline-block; padding: .25rem .75rem; border: 1px solid #dde2e8; border-radius: 999px; text-decoration: none; font-size: .9rem; }
.sticky-actions { position: sticky; bottom: 0; background: #fff; padding: .25rem 0 .75rem; border-top: 1px solid #dde2e8; }
fieldset[id^="section-"] { scroll-margin-top: 1rem; }
.chart text { font-size: 13px; fill: #1b1f24; }
@media (max-width: 48rem) { .report { grid-template-columns: 1fr; } }
`;
