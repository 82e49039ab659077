/**
 * The OpenAPI document (docs/api.md §4.13) of a real in-process controller with the default
 * modules, over real HTTP: every route is catalogued, the document is valid OpenAPI 3.1 with
 * valid JSON Schemas, its request schemas agree with the zod parsing the handlers do, who may
 * read it and its page, and that attaching it changed nothing on the wire.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAppOperation, parseOperationAbort, parseTaskOperation } from '../../src/api/validation/index.ts';
import { success } from '../../src/common/envelope.ts';
import type { ControllerModule } from '../../src/controller/controller-module.ts';
import { API_CATALOG } from '../../src/controller/http/api-catalog.ts';
import { isHidden } from '../../src/controller/http/catalog-entry.ts';
import { catalogCoverage } from '../../src/controller/http/api-docs.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { appCreate, appSpec, OP_SPEC, processAppSpec, taskCreate, taskSpec } from '../validation/fixtures.ts';

const users = [
  { username: 'admin', password: 'admin', role: 'DROVE_EXTERNAL_ROOT' as const },
  { username: 'guest', password: 'guest', role: 'DROVE_EXTERNAL_READ_ONLY' as const },
  { username: 'ops', password: 'ops', role: 'DROVE_EXTERNAL_MAINTENANCE' as const },
];

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

/** `/apis/v1/tasks/:sourceAppName/instances/:taskId` → `/apis/v1/tasks/{sourceAppName}/instances/{taskId}`. */
function openapiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

describe('OpenAPI document', () => {
  let controller: TestController;
  let doc: Doc;

  beforeAll(async () => {
    controller = await startTestController({ config: { users } });
    const res = await controller.api().get('/apis/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body as Doc;
  });
  afterAll(stopAllTestProcesses);

  describe('catalog coverage', () => {
    it('has a catalog entry for every route of the controller, and no entry without a route', () => {
      expect(catalogCoverage(controller.running!.app)).toEqual({ uncatalogued: [], unused: [] });
    });

    it('reports a route registered without a catalog entry', async () => {
      const newRoute = (): ControllerModule => ({
        name: 'new-route',
        registerRoutes(app) {
          app.get('/apis/v1/brand-new', { config: { roles: 'ANY' } }, async () => success('new'));
        },
        start: async () => undefined,
        stop: async () => undefined,
      });
      const other = await startTestController({ modules: [newRoute] });
      expect(catalogCoverage(other.running!.app).uncatalogued).toEqual(['GET /apis/v1/brand-new']);
      // It is still in the document, flagged, rather than silently missing.
      const { body } = await other.api().get('/apis/openapi.json');
      expect(body.paths['/apis/v1/brand-new'].get).toMatchObject({ summary: 'Not in the API catalog', tags: ['Uncatalogued'] });
      await other.stop();
    });
  });

  describe('validity', () => {
    it('is a valid OpenAPI 3.1 document', async () => {
      expect(doc.openapi).toBe('3.1.0');
      await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    });

    it('has component schemas that are valid JSON Schema 2020-12', () => {
      const ajv = new Ajv2020({ strict: true });
      const names = Object.keys(doc.components.schemas);
      expect(names).toEqual(expect.arrayContaining(['ApplicationOperation', 'ApplicationSpec', 'TaskOperation', 'TaskSpec', 'OperationAbortRequest', 'Envelope']));
      for (const name of names) {
        expect(ajv.validateSchema(doc.components.schemas[name]), `${name}: ${ajv.errorsText()}`).toBe(true);
      }
    });

    it('documents every catalogued route under its method, with the role group the route declares', () => {
      for (const [key, entry] of Object.entries(API_CATALOG)) {
        if (isHidden(entry)) continue;
        const [method, url] = key.split(' ');
        const operation = doc.paths[openapiPath(url)]?.[method.toLowerCase()];
        expect(operation, key).toBeDefined();
        expect(operation.summary, key).toBe(entry.corral ? `${entry.summary} [corral]` : entry.summary);
      }
      expect(doc.paths['/apis/v1/tasks/operations'].post['x-corral-role-group']).toBe('RW');
      expect(doc.paths['/apis/v1/cluster/executors/blacklist'].post['x-corral-role-group']).toBe('MAINT');
      expect(doc.paths['/apis/v1/logfiles/tasks/{sourceAppName}/{taskId}/list'].get['x-corral-role-group']).toBe('LOGS');
      expect(doc.paths['/apis/v1/ping'].get['x-corral-role-group']).toBe('ANY');
      // /metrics asks for credentials unless the config says `metricsAuth: false` (docs/security.md).
      expect(doc.paths['/metrics'].get.security).toBeUndefined();
      expect(doc.paths['/metrics'].get['x-corral-role-group']).toBe('ANY');
      expect(doc.paths['/apis/v1/operations'].post.deprecated).toBe(true);
      expect(doc.paths['/apis/v1/operations/abort'].post['x-corral-addition']).toBe(true);
      // The instance-facing API takes an instance's token, not a user's Basic credentials.
      expect(doc.paths['/apis/v1/internal/instances'].get.security).toEqual([{ instanceToken: [] }]);
      expect(doc.paths['/apis/v1/internal/instances'].get['x-corral-role-group']).toBe('INSTANCE');
      // The executor channel and the page itself are not part of the API.
      expect(Object.keys(doc.paths).filter((p) => p.includes('/internal/executors') || p.startsWith('/apis/docs'))).toEqual([]);
    });
  });

  describe('request schemas agree with the handlers\' zod parsing', () => {
    /** Validates a body against a component, its `#/components/schemas/…` references resolved. */
    const validator = () => {
      const ajv = new Ajv2020({ strict: true });
      const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', 'corral#/$defs/'));
      ajv.addSchema({ $id: 'corral', $defs: defs });
      return (name: string, body: unknown) => ajv.validate({ $ref: `corral#/$defs/${name}` }, body);
    };

    it('accepts what the parsers accept', () => {
      const valid = validator();
      const bodies: [string, unknown, (body: unknown) => unknown][] = [
        ['ApplicationOperation', appCreate(appSpec()), parseAppOperation],
        ['ApplicationOperation', appCreate(processAppSpec()), parseAppOperation],
        ['ApplicationOperation', { type: 'SCALE', appId: 'orders-3', requiredInstances: 5, opSpec: OP_SPEC }, parseAppOperation],
        ['ApplicationOperation', { type: 'REPLACE_INSTANCES', appId: 'orders-3', instanceIds: [], opSpec: OP_SPEC }, parseAppOperation],
        ['ApplicationOperation', { type: 'RECOVER', appId: 'orders-3' }, parseAppOperation],
        ['TaskOperation', taskCreate(taskSpec()), parseTaskOperation],
        ['TaskOperation', { type: 'KILL', sourceAppName: 'TEST_APP', taskId: 'T0012', opSpec: OP_SPEC }, parseTaskOperation],
        // A missing executable type means DOCKER.
        ['TaskOperation', taskCreate({ ...taskSpec(), executable: { url: 'busybox', dockerPullTimeout: '1m' } }), parseTaskOperation],
        ['OperationAbortRequest', {}, parseOperationAbort],
        ['OperationAbortRequest', { operationIds: ['OP-1'], mode: 'FORCE', deadline: '30 seconds' }, parseOperationAbort],
      ];
      for (const [name, body, parse] of bodies) {
        expect(() => parse(body)).not.toThrow();
        expect(valid(name, body), `${name} ${JSON.stringify(body).slice(0, 80)}`).toBe(true);
      }
    });

    it('refuses what the parsers refuse', () => {
      const valid = validator();
      const bodies: [string, unknown, (body: unknown) => unknown][] = [
        ['ApplicationOperation', { type: 'SCALE', appId: 'orders-3', opSpec: { ...OP_SPEC, parallelism: 0 } }, parseAppOperation],
        ['ApplicationOperation', { type: 'SCALE_INSTANCES', appId: 'orders-3', opSpec: OP_SPEC }, parseAppOperation],
        ['ApplicationOperation', { type: 'STOP_INSTANCES', appId: 'orders-3', instanceIds: [], opSpec: OP_SPEC }, parseAppOperation],
        ['TaskOperation', taskCreate({ ...taskSpec(), taskId: 'no spaces' }), parseTaskOperation],
        ['TaskOperation', { type: 'KILL', sourceAppName: 'TEST_APP', taskId: 'T0012' }, parseTaskOperation],
        ['OperationAbortRequest', { mode: 'SOFTLY' }, parseOperationAbort],
      ];
      for (const [name, body, parse] of bodies) {
        expect(() => parse(body)).toThrow();
        expect(valid(name, body), `${name} ${JSON.stringify(body).slice(0, 80)}`).toBe(false);
      }
    });
  });

  describe('who may read it', () => {
    it('serves the document to every role and refuses anonymous callers without a browser prompt', async () => {
      for (const user of users) {
        const res = await controller.api({ user: user.username, password: user.password }).get('/apis/openapi.json');
        expect(res.status, user.username).toBe(200);
      }
      const anonymous = await controller.api(false).get('/apis/openapi.json');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toMatchObject({ status: 'FAILED' });
      expect(anonymous.headers.get('www-authenticate')).toBeNull();
    });

    it('serves the browsable page and its assets, asking a browser for credentials', async () => {
      const guest = controller.api({ user: 'guest', password: 'guest' });
      const page = await guest.get('/apis/docs/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.text).toContain('swagger-ui-bundle.js');
      const bundle = await guest.get('/apis/docs/static/swagger-ui-bundle.js');
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('content-type')).toMatch(/javascript/);
      const json = await guest.get('/apis/docs/json');
      expect(json.body).toEqual(doc);

      const anonymous = await controller.api(false).get('/apis/docs/');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="corral"/);
    });

    it('leaves /metrics as its own setting makes it (authenticated by default)', async () => {
      expect((await controller.api(false).get('/metrics')).status).toBe(401);
      const res = await controller.api().get('/metrics');
      expect(res.status).toBe(200);
      expect(res.text).toContain('corral_http_request_duration_seconds');
    });
  });

  describe('no change on the wire', () => {
    it('still validates bodies with the handlers\' zod parsing (Drove\'s messages, unknown fields ignored)', async () => {
      const res = await controller.api().post('/apis/v1/applications/operations', {
        type: 'SCALE', appId: 'orders-3', requiredInstances: 1, unknownField: true,
        opSpec: { timeout: '5m', parallelism: 0, failureStrategy: 'stop' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        status: 'FAILED', message: 'Command validation failure',
        data: { validationErrors: ['opSpec.parallelism must be greater than or equal to 1'] },
      });
    });

    it('still answers with every field the handler returns', async () => {
      const res = await controller.api().get('/apis/v1/cluster');
      expect(Object.keys(res.body.data).sort()).toEqual([
        'freeCores', 'freeMemory', 'leader', 'numActiveApplications', 'numActiveLocalServices', 'numActiveTasks',
        'numApplications', 'numExecutors', 'numLocalServices', 'state', 'totalCores', 'totalMemory', 'usedCores', 'usedMemory',
      ]);
    });
  });
});
