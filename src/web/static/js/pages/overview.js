// Cluster overview (`/`): leader and controllers, executors by state, cores and memory, apps and
// tasks by state, operations running now, and the latest events (live).
import { useState } from 'preact/hooks';
import { apiGet, apiGetOptional } from '../api.js';
import { countBy, megabytes, targetHref, targetLabel } from '../format.js';
import { html } from '../html.js';
import { useLiveEvents, useResource, useTitle } from '../hooks.js';
import { useSession } from '../session.js';
import { TONE_ORDER, toneOf } from '../states.js';
import { Badge, Empty, Loaded, Meter, PageHeader, Progress, Section, TableWrap, Time } from '../ui.js';
import { describeEvent, eventHref } from './event-text.js';

const REFRESH_ON = [
  'APP_STATE_CHANGE', 'INSTANCE_STATE_CHANGE', 'TASK_STATE_CHANGE', 'OPERATION_STATE_CHANGE', 'EXECUTOR_ADDED',
  'EXECUTOR_REMOVED', 'EXECUTOR_LOST', 'EXECUTOR_RECONNECTED', 'EXECUTOR_BLACKLIST_REQUESTED', 'EXECUTOR_BLACKLISTED',
  'EXECUTOR_UN_BLACKLISTED', 'MAINTENANCE_MODE_SET', 'MAINTENANCE_MODE_REMOVED', 'LEADERSHIP_ACQUIRED', 'LEADERSHIP_LOST',
  'LOCAL_SERVICE_STATE_CHANGE',
];
const LATEST_EVENTS = 12;

/**
 * The controllers to show. Plug-in point for HA: when the summary or the dashboard aggregate
 * lists controllers (`controllers: [{address, role}]`), they are shown as given; until then the
 * leader from `GET /apis/v1/cluster` is the only one known.
 */
function controllersOf(summary, aggregate) {
  const listed = aggregate?.controllers ?? summary.controllers;
  if (Array.isArray(listed) && listed.length > 0) return listed.map((c) => ({ address: c.address ?? c.hostname ?? String(c), role: c.role ?? 'FOLLOWER' }));
  return [{ address: summary.leader, role: 'LEADER' }];
}

/** Counts as [[state, n], …], most urgent tones first. */
function sortedCounts(entries) {
  return entries.filter(([, n]) => n > 0).sort((a, b) => TONE_ORDER.indexOf(toneOf(a[0])) - TONE_ORDER.indexOf(toneOf(b[0])) || b[1] - a[1]);
}

/** Uses `GET /apis/v1/cluster/dashboard` when the controller has it, else composes the reads. */
async function loadOverview(hasAggregate) {
  const [aggregate, operations] = await Promise.all([
    hasAggregate ? apiGetOptional('/apis/v1/cluster/dashboard') : undefined,
    apiGet('/apis/v1/operations?state=ACTIVE&size=50'),
  ]);
  if (aggregate) {
    return {
      summary: aggregate.clusterSummary,
      controllers: controllersOf(aggregate.clusterSummary, aggregate),
      executors: sortedCounts(Object.entries(aggregate.executorStats?.executorCountByState ?? {})),
      apps: sortedCounts(Object.entries(aggregate.appStats?.appCountByState ?? {})),
      tasks: sortedCounts(Object.entries(aggregate.taskStats?.taskCountByState ?? {})),
      operations,
    };
  }
  const [summary, executors, apps, tasks] = await Promise.all([
    apiGet('/apis/v1/cluster'),
    apiGet('/apis/v1/cluster/executors'),
    apiGet('/apis/v1/applications'),
    apiGet('/apis/v1/tasks'),
  ]);
  return {
    summary,
    controllers: controllersOf(summary),
    executors: sortedCounts(countBy(executors, 'state')),
    apps: sortedCounts(countBy(Object.values(apps), 'state')),
    tasks: sortedCounts(countBy(tasks, 'state')),
    operations,
  };
}

function StateCounts({ counts, noun, href }) {
  if (counts.length === 0) return html`<p class="muted">No ${noun}.</p>`;
  return html`<ul class="counts">${counts.map(([state, n]) => html`<li><a href=${href}><span class="count">${n}</span> <${Badge} state=${state} /></a></li>`)}</ul>`;
}

function LatestEvents() {
  const initial = useResource(() => apiGet(`/apis/v1/cluster/events?size=${LATEST_EVENTS}`), []);
  const [live, setLive] = useState([]);
  useLiveEvents(REFRESH_ON.concat(['TASK_EVENT']), (event) => {
    if (event.type === 'RESYNC') {
      setLive([]);
      initial.refresh();
      return;
    }
    setLive((list) => [event, ...list].slice(0, LATEST_EVENTS));
  });
  return html`<${Loaded} resource=${initial} what="events" empty=${live.length ? null : html`<${Empty} title="No events yet">Events appear here as the cluster changes.<//>`}>
    ${(stored) => {
      const seen = new Set();
      const events = [...live, ...stored].filter((e) => !seen.has(e.id) && seen.add(e.id)).slice(0, LATEST_EVENTS);
      return html`<ol class="event-list" aria-label="Latest events, newest first">${events.map((event) => {
        const href = eventHref(event);
        const text = describeEvent(event);
        return html`<li key=${event.id}><${Time} ms=${event.time} /> <span class="event-type">${event.type}</span>
          ${href ? html`<a href=${href}>${text}</a>` : html`<span>${text}</span>`}</li>`;
      })}</ol>`;
    }}
  <//>`;
}

function RunningOperations({ operations }) {
  if (operations.length === 0) return html`<${Empty} title="Nothing running">No operation is running now.<//>`;
  return html`<${TableWrap} label="Operations running now"><table>
    <thead><tr><th scope="col">State</th><th scope="col">Type</th><th scope="col">Target</th><th scope="col">Progress</th><th scope="col">Started</th></tr></thead>
    <tbody>${operations.map((op) => html`<tr key=${op.operationId}>
      <td><${Badge} state=${op.state} /></td>
      <td><a href=${`/operations/${encodeURIComponent(op.operationId)}`}>${op.type}</a></td>
      <td>${targetHref(op.target) ? html`<a href=${targetHref(op.target)}>${targetLabel(op.target)}</a>` : targetLabel(op.target)}</td>
      <td><${Progress} progress=${op.progress} state=${op.state} /></td>
      <td><${Time} ms=${op.created} /></td>
    </tr>`)}</tbody></table><//>`;
}

export function OverviewPage() {
  useTitle('Overview');
  const session = useSession();
  const overview = useResource(() => loadOverview(session.features?.clusterDashboard), [], { refreshOn: REFRESH_ON });
  return html`
    <${PageHeader} title="Cluster overview" />
    <${Loaded} resource=${overview} what="the cluster overview">
      ${({ summary, controllers, executors, apps, tasks, operations }) => html`
        <div class="grid">
          <${Section} title="Controllers">
            <ul class="plain">${controllers.map((c) => html`<li><${Badge} state=${c.role === 'LEADER' ? 'ACTIVE' : 'MONITORING'} label=${c.role} /> <code>${c.address}</code></li>`)}</ul>
            <p>Cluster state: <${Badge} state=${summary.state} /></p>
          <//>
          <${Section} title="Executors" actions=${html`<a href="/executors">All executors</a>`}>
            <p class="big-number">${summary.numExecutors} <span>connected</span></p>
            <${StateCounts} counts=${executors} noun="executors" href="/executors" />
          <//>
          <${Section} title="Resources">
            <${Meter} label="Cores" used=${summary.usedCores} total=${summary.totalCores} />
            <${Meter} label="Memory" used=${summary.usedMemory} total=${summary.totalMemory} format=${megabytes} />
          <//>
          <${Section} title="Applications" actions=${html`<a href="/apps">All applications</a>`}>
            <p class="big-number">${summary.numApplications} <span>apps, ${summary.numActiveApplications} active</span></p>
            <${StateCounts} counts=${apps} noun="applications" href="/apps" />
          <//>
          <${Section} title="Tasks" actions=${html`<a href="/tasks">All tasks</a>`}>
            <p class="big-number">${summary.numActiveTasks} <span>active</span></p>
            <${StateCounts} counts=${tasks} noun="active tasks" href="/tasks" />
          <//>
          <${Section} title="Local services" actions=${html`<a href="/local-services">Local services</a>`}>
            <p class="big-number">${summary.numLocalServices ?? 0} <span>services, ${summary.numActiveLocalServices ?? 0} active</span></p>
          <//>
        </div>
        <${Section} title="Operations running now" actions=${html`<a href="/operations">Operations</a>`}>
          <${RunningOperations} operations=${operations} />
        <//>
      `}
    <//>
    <${Section} title="Latest events"><${LatestEvents} /><//>
  `;
}
