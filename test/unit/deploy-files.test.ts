import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config.ts';
import { createMetrics, registerGauges } from '../../src/http/metrics.ts';

/**
 * The deploy/ files are checked offline: every Kubernetes manifest against the Kubernetes (and
 * Prometheus Operator) schemas shipped in kubernetes-models, the security settings and probes a
 * reviewer would look for, the references between objects, and the dashboard and alert rules against
 * the metric names Tobira really exports.
 */
const DEPLOY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy');
const K8S = path.join(DEPLOY, 'kubernetes');

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
} & Record<string, any>;

function loadYaml(file: string): Obj[] {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const d of docs) assert.deepEqual(d.errors, [], `${file}: YAML errors`);
  return docs.map((d) => d.toJSON()).filter(Boolean);
}

const kustomization = parseYaml(fs.readFileSync(path.join(K8S, 'kustomization.yaml'), 'utf8'));
const resources: Obj[] = (kustomization.resources as string[]).flatMap((f) => loadYaml(path.join(K8S, f)));
const one = (kind: string) => {
  const found = resources.filter((r) => r.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0];
};

const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Every metric name Tobira exports (histograms with their series suffixes). */
function exportedMetricNames(): Set<string> {
  const m = createMetrics();
  registerGauges(m, {
    ready: async () => true,
    pool: () => ({ used: 0, free: 0, pending: 0, max: 1 }),
    phonePaused: async () => false,
  });
  const names = new Set<string>();
  for (const metric of m.registry.getMetricsAsArray()) {
    const name = (metric as unknown as { name: string }).name;
    names.add(name);
    for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:tobira|process|nodejs)_[a-z_]+)\b/g)].map((m) => m[1]);
}

describe('deploy/kubernetes', () => {
  it('lists every manifest of the folder in the kustomization, and each one validates against its schema', () => {
    const listed = new Set(kustomization.resources as string[]);
    for (const f of fs.readdirSync(K8S)) {
      if (f.endsWith('.yaml') && f !== 'kustomization.yaml')
        assert.ok(listed.has(f), `${f} is in kustomization.yaml`);
    }
    const examples = fs
      .readdirSync(path.join(K8S, 'examples'))
      .flatMap((f) => loadYaml(path.join(K8S, 'examples', f)));
    for (const r of [...resources, ...examples]) {
      if (r.apiVersion === 'postgresql.cnpg.io/v1') continue; // checked below: no schema package for CloudNativePG
      const Model = MODELS[`${r.apiVersion}/${r.kind}`];
      assert.ok(Model, `a schema for ${r.apiVersion} ${r.kind}`);
      assert.doesNotThrow(() => new Model(r).validate(), `${r.kind} ${r.metadata.name} is valid`);
    }
  });

  it('a schema violation is caught (the validation is real)', () => {
    const d = structuredClone(one('Deployment'));
    d.spec.replicas = 'two';
    assert.throws(() => new Deployment(d).validate());
    const p = structuredClone(one('Deployment'));
    p.spec.template.spec.containers[0].readinessProbe.httpGet.port = { name: 'http' };
    assert.throws(() => new Deployment(p).validate());
  });

  it('runs two or more replicas as a non-root user on a read-only root filesystem, probed on /healthz and /readyz', () => {
    const d = one('Deployment');
    const pod = d.spec.template.spec;
    const podLabels = d.spec.template.metadata.labels;
    assert.ok(d.spec.replicas >= 2, 'at least two replicas');
    assert.ok(matches(d.spec.selector.matchLabels, podLabels));
    assert.equal(
      d.spec.strategy.rollingUpdate.maxUnavailable,
      0,
      'a rollout never drops below the replica count',
    );
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0, 'a numeric non-root uid');
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(pod.automountServiceAccountToken, false);
    const tmpVolume = pod.volumes.find((v: any) => v.emptyDir);
    assert.ok(tmpVolume, 'an emptyDir volume');
    for (const c of [...pod.initContainers, ...pod.containers]) {
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${c.name}: read-only root filesystem`);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${c.name}: no privilege escalation`);
      assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], `${c.name}: no capabilities`);
      assert.ok(
        c.volumeMounts.some((m: any) => m.name === tmpVolume.name && m.mountPath === '/tmp'),
        `${c.name}: /tmp is the emptyDir`,
      );
      assert.ok(c.resources.requests.cpu && c.resources.requests.memory, `${c.name}: requests`);
      assert.ok(c.resources.limits.memory, `${c.name}: a memory limit`);
      const db = c.env.find((e: any) => e.name === 'DATABASE_URL');
      assert.ok(db.valueFrom.secretKeyRef, `${c.name}: DATABASE_URL from a Secret`);
    }
    const [app] = pod.containers;
    const port = app.ports.find((p: any) => p.name === 'http');
    assert.equal(port.containerPort, 3000);
    assert.equal(app.livenessProbe.httpGet.path, '/healthz');
    assert.equal(app.readinessProbe.httpGet.path, '/readyz');
    assert.equal(app.livenessProbe.httpGet.port, 'http');
    assert.equal(app.readinessProbe.httpGet.port, 'http');
    assert.equal(app.startupProbe.httpGet.path, '/healthz');
    // Migrations run before the server, through Knex's migration lock.
    assert.deepEqual(pod.initContainers[0].command.slice(-1), ['migrate']);
    // Spread over zones and nodes, selecting these pods.
    assert.ok(pod.topologySpreadConstraints.length >= 1);
    for (const t of pod.topologySpreadConstraints) assert.ok(matches(t.labelSelector.matchLabels, podLabels));
    // Shutdown fits in the grace period: drain plus in-flight requests.
    const cm = one('ConfigMap').data;
    assert.ok(
      Number(cm.SHUTDOWN_DRAIN_SECONDS) + Number(cm.SHUTDOWN_TIMEOUT_SECONDS) <
        pod.terminationGracePeriodSeconds,
      'drain + timeout < terminationGracePeriodSeconds',
    );
    assert.ok(
      app.readinessProbe.periodSeconds * app.readinessProbe.failureThreshold <
        Number(cm.SHUTDOWN_DRAIN_SECONDS),
      'readiness fails before the drain ends',
    );
  });

  it('wires the Service, Ingress, PodDisruptionBudget, autoscaler, NetworkPolicy and ServiceMonitor to the pods', () => {
    const d = one('Deployment');
    const podLabels = d.spec.template.metadata.labels;
    const svc = one('Service');
    assert.ok(matches(svc.spec.selector, podLabels), 'the Service selects the pods');
    assert.equal(svc.spec.ports[0].targetPort, 'http');
    const ing = one('Ingress');
    const backend = ing.spec.rules[0].http.paths[0].backend.service;
    assert.equal(backend.name, svc.metadata.name);
    assert.ok(svc.spec.ports.some((p: any) => p.name === backend.port.name));
    const pdb = one('PodDisruptionBudget');
    assert.ok(matches(pdb.spec.selector.matchLabels, podLabels));
    assert.ok(pdb.spec.minAvailable < d.spec.replicas, 'a node drain can proceed');
    const hpa = one('HorizontalPodAutoscaler');
    assert.equal(hpa.spec.scaleTargetRef.kind, 'Deployment');
    assert.equal(hpa.spec.scaleTargetRef.name, d.metadata.name);
    assert.ok(hpa.spec.minReplicas >= 2);
    const np = one('NetworkPolicy');
    assert.ok(matches(np.spec.podSelector.matchLabels, podLabels));
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    const cluster = one('Cluster');
    assert.ok(
      np.spec.egress.some(
        (e: any) =>
          e.to.some((t: any) => t.podSelector?.matchLabels?.['cnpg.io/cluster'] === cluster.metadata.name) &&
          e.ports.some((p: any) => p.port === 5432),
      ),
      'egress to the PostgreSQL cluster',
    );
    const sm = one('ServiceMonitor');
    assert.ok(
      matches(sm.spec.selector.matchLabels, svc.metadata.labels),
      'the ServiceMonitor selects the Service',
    );
    assert.equal(sm.spec.endpoints[0].path, '/metrics');
    assert.ok(svc.spec.ports.some((p: any) => p.name === sm.spec.endpoints[0].port));
  });

  it('takes DATABASE_URL from the CloudNativePG cluster (its -app Secret, which points at the -rw service)', () => {
    const cluster = one('Cluster');
    assert.equal(cluster.apiVersion, 'postgresql.cnpg.io/v1');
    assert.ok(cluster.spec.instances >= 2, 'a replica for failover');
    assert.ok(cluster.spec.bootstrap.initdb.database && cluster.spec.bootstrap.initdb.owner);
    assert.match(cluster.spec.storage.size, /^\d+Gi$/);
    const app = one('Deployment').spec.template.spec.containers[0];
    const ref = app.env.find((e: any) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef;
    assert.deepEqual(ref, { name: `${cluster.metadata.name}-app`, key: 'uri' });
  });

  it('ships placeholder secrets only, and a configuration Tobira accepts once they are filled in', () => {
    const secret = one('Secret');
    const keys = Object.keys(secret.stringData).sort();
    assert.deepEqual(keys, [
      'METRICS_TOKEN',
      'SECRET_KEY',
      'SMTP_URL',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_FROM',
    ]);
    assert.match(secret.stringData.SECRET_KEY, /CHANGE-ME/);
    assert.match(secret.stringData.TWILIO_AUTH_TOKEN, /CHANGE-ME/);
    assert.throws(() => loadConfig({ ...one('ConfigMap').data, ...secret.stringData }), /SECRET_KEY/);
    const config = loadConfig({
      ...one('ConfigMap').data,
      ...secret.stringData,
      SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
      DATABASE_URL: 'postgresql://tobira:pw@tobira-db-rw.tobira:5432/tobira',
    });
    assert.equal(config.production, true);
    assert.equal(config.workers, 1);
    assert.equal(config.shutdownDrainSeconds, 10);
  });
});

describe('deploy/prometheus and deploy/grafana', () => {
  const names = exportedMetricNames();

  it('alert rules are valid YAML with the same groups as the PrometheusRule, over metrics Tobira exports', () => {
    const file = parseYaml(fs.readFileSync(path.join(DEPLOY, 'prometheus/tobira-alerts.yaml'), 'utf8'));
    assert.deepEqual(file.groups, one('PrometheusRule').spec.groups);
    const alerts = file.groups.flatMap((g: any) => g.rules);
    for (const r of alerts) {
      assert.match(r.alert, /^Tobira[A-Za-z]+$/);
      assert.ok(typeof r.expr === 'string' && r.expr.trim(), `${r.alert}: expr`);
      assert.match(r.for, /^\d+[smh]$/, `${r.alert}: for`);
      assert.ok(['critical', 'warning'].includes(r.labels.severity), `${r.alert}: severity`);
      assert.ok(r.annotations.summary, `${r.alert}: summary`);
      for (const n of metricNamesIn(r.expr)) assert.ok(names.has(n), `${r.alert}: ${n} is exported`);
      assert.equal(r.expr.split('(').length, r.expr.split(')').length, `${r.alert}: balanced parentheses`);
    }
    const wanted = [
      'TobiraNotReady',
      'TobiraResetFailureRatioHigh',
      'TobiraPhoneSendsPaused',
      'TobiraNoticeQueueBackingUp',
    ];
    for (const a of wanted)
      assert.ok(
        alerts.some((r: any) => r.alert === a),
        a,
      );
  });

  it('the Grafana dashboard is valid JSON whose panels query metrics Tobira exports', () => {
    const dash = JSON.parse(fs.readFileSync(path.join(DEPLOY, 'grafana/tobira-dashboard.json'), 'utf8'));
    assert.equal(typeof dash.title, 'string');
    assert.equal(typeof dash.uid, 'string');
    assert.ok(dash.templating.list.some((v: any) => v.type === 'datasource' && v.query === 'prometheus'));
    const ids = dash.panels.map((p: any) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    const used = new Set<string>();
    for (const p of dash.panels) {
      for (const k of ['x', 'y', 'w', 'h'])
        assert.equal(typeof p.gridPos[k], 'number', `${p.title}: gridPos.${k}`);
      assert.ok(p.targets.length, `${p.title}: a query`);
      for (const t of p.targets) {
        for (const n of metricNamesIn(t.expr)) {
          assert.ok(names.has(n), `${p.title}: ${n} is exported`);
          used.add(n);
        }
      }
    }
    for (const n of [
      'tobira_sign_ins_total',
      'tobira_resets_total',
      'tobira_messages_sent_total',
      'tobira_lockouts_total',
      'tobira_notice_queue',
      'tobira_db_pool_connections',
      'tobira_http_request_duration_seconds_bucket',
    ])
      assert.ok(used.has(n), `the dashboard shows ${n}`);
  });
});
