// Any other dashboard URL.
import { html } from '../html.js';
import { useTitle } from '../hooks.js';
import { Empty, PageHeader } from '../ui.js';

export function NotFoundPage() {
  useTitle('Not found');
  return html`<${PageHeader} title="Page not found" />
    <${Empty} title="There is no dashboard page at this address">Go to the <a href="/">cluster overview</a>.<//>`;
}
