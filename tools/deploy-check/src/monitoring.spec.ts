import { metricNamesOf, promqlErrors, registeredMetricNames } from './monitoring';

describe('the PromQL checks', () => {
  it('accept an expression that parses and name each error of one that does not', () => {
    expect(promqlErrors('sum by (route) (rate(bulkhead_http_request_duration_seconds_count{status_class="5xx"}[5m])) > 14.4 * (1 - 0.999)')).toEqual([]);
    expect(promqlErrors('sum(rate(bulkhead_audit_relay_backlog[5m])')).not.toEqual([]);
    expect(promqlErrors('rate(foo[5m]) >')).not.toEqual([]);
    expect(promqlErrors('  ')).toEqual(['the expression is empty']);
  });

  it('read the metric names an expression selects, not its functions, labels or label values', () => {
    expect(
      metricNamesOf('histogram_quantile(0.99, sum by (le) (rate(a_bucket{service=~"$service",route="b_total"}[5m]))) / on() group_left c_total'),
    ).toEqual(['a_bucket', 'c_total']);
  });

  it("know the libraries' metrics from a real registry and the services' own from their source", async () => {
    const names = await registeredMetricNames();
    expect(names).toContain('bulkhead_http_request_duration_seconds_bucket');
    expect(names).toContain('bulkhead_grpc_server_call_duration_seconds_count');
    expect(names).toContain('bulkhead_shard_unavailable_total');
    expect(names).toContain('nodejs_eventloop_lag_p99_seconds');
    expect(names).toContain('bulkhead_gateway_rate_limited_total');
    expect(names).toContain('bulkhead_audit_relay_backlog');
    expect(names).not.toContain('bulkhead_set_tenant');
  });
});
