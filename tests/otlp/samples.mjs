// Sample requests (OTLP/JSON style: hex ids, int64 as strings) and the
// normalized form the receiver must give back for them. The expected objects
// are written out by hand so the selftest does not trust the code under test.
export const SAMPLE_METRICS = {
  resourceMetrics: [{
    resource: { attributes: [
      { key: 'service.name', value: { stringValue: 'meshsight' } },
      { key: 'host.pid', value: { intValue: '4242' } },
    ] },
    scopeMetrics: [{
      scope: { name: 'meshsight', version: '0.1.0' },
      metrics: [
        {
          name: 'meshsight.http.requests', description: 'HTTP requests seen', unit: '{request}',
          sum: {
            aggregationTemporality: 2, isMonotonic: true,
            dataPoints: [{
              attributes: [
                { key: 'http.response.status_code', value: { intValue: '200' } },
                { key: 'mesh.tls', value: { boolValue: true } },
              ],
              startTimeUnixNano: '1700000000000000000', timeUnixNano: '1700000010123456789',
              asInt: '9007199254740993',
            }],
          },
        },
        {
          name: 'meshsight.http.duration', description: 'HTTP request duration', unit: 's',
          histogram: {
            aggregationTemporality: 1,
            dataPoints: [{
              attributes: [{ key: 'peer.service', value: { stringValue: 'svc-b' } }],
              startTimeUnixNano: '1700000000000000000', timeUnixNano: '1700000010123456789',
              count: '6', sum: 1.25, bucketCounts: ['1', '2', '3', '0'], explicitBounds: [0.005, 0.1, 1],
              min: 0.001, max: 0.9,
            }],
          },
        },
      ],
    }],
  }],
};
export const SAMPLE_TRACES = {
  resourceSpans: [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'meshsight' } }] },
    scopeSpans: [{
      scope: { name: 'meshsight' },
      spans: [{
        traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', parentSpanId: '0102030405060708',
        name: 'GET /api/items', kind: 2,
        startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000250000000',
        attributes: [
          { key: 'http.request.method', value: { stringValue: 'GET' } },
          { key: 'http.response.status_code', value: { intValue: '503' } },
        ],
        events: [{ timeUnixNano: '1700000000100000000', name: 'retry', attributes: [] }],
        links: [{ traceId: 'aabbccddeeff00112233445566778899', spanId: '1122334455667788' }],
        status: { code: 2, message: 'upstream unavailable' },
        flags: 257,
      }],
    }],
  }],
};

const attr = (key, value) => ({ key, value });
const dpCommon = {
  exemplars: [], flags: 0,
  startTimeUnixNano: '1700000000000000000', timeUnixNano: '1700000010123456789',
};

export const EXPECTED_METRICS = {
  resourceMetrics: [{
    resource: {
      attributes: [attr('service.name', { stringValue: 'meshsight' }), attr('host.pid', { intValue: '4242' })],
      entityRefs: [], droppedAttributesCount: 0,
    },
    schemaUrl: '',
    scopeMetrics: [{
      scope: { name: 'meshsight', version: '0.1.0', attributes: [], droppedAttributesCount: 0 },
      schemaUrl: '',
      metrics: [
        {
          name: 'meshsight.http.requests', description: 'HTTP requests seen', unit: '{request}', metadata: [],
          sum: {
            aggregationTemporality: 2, isMonotonic: true,
            dataPoints: [{
              ...dpCommon,
              attributes: [attr('http.response.status_code', { intValue: '200' }), attr('mesh.tls', { boolValue: true })],
              asInt: '9007199254740993',
            }],
          },
        },
        {
          name: 'meshsight.http.duration', description: 'HTTP request duration', unit: 's', metadata: [],
          histogram: {
            aggregationTemporality: 1,
            dataPoints: [{
              ...dpCommon,
              attributes: [attr('peer.service', { stringValue: 'svc-b' })],
              count: '6', sum: 1.25, bucketCounts: ['1', '2', '3', '0'], explicitBounds: [0.005, 0.1, 1],
              min: 0.001, max: 0.9,
            }],
          },
        },
      ],
    }],
  }],
};

export const EXPECTED_TRACES = {
  resourceSpans: [{
    resource: { attributes: [attr('service.name', { stringValue: 'meshsight' })], entityRefs: [], droppedAttributesCount: 0 },
    schemaUrl: '',
    scopeSpans: [{
      scope: { name: 'meshsight', version: '', attributes: [], droppedAttributesCount: 0 },
      schemaUrl: '',
      spans: [{
        traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', parentSpanId: '0102030405060708',
        traceState: '', name: 'GET /api/items', kind: 2,
        startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000250000000',
        attributes: [attr('http.request.method', { stringValue: 'GET' }), attr('http.response.status_code', { intValue: '503' })],
        droppedAttributesCount: 0,
        events: [{ timeUnixNano: '1700000000100000000', name: 'retry', attributes: [], droppedAttributesCount: 0 }],
        droppedEventsCount: 0,
        links: [{
          traceId: 'aabbccddeeff00112233445566778899', spanId: '1122334455667788', traceState: '',
          attributes: [], droppedAttributesCount: 0, flags: 0,
        }],
        droppedLinksCount: 0,
        status: { code: 2, message: 'upstream unavailable' },
        flags: 257,
      }],
    }],
  }],
};
