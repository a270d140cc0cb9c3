import { QueryVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE } from './panels.ts';
import { Q } from './queries.ts';

/** `$district`: pick one or more districts; "All" matches every district. */
export function districtVariable(): QueryVariableBuilder {
  return new QueryVariableBuilder('district')
    .label('District')
    .datasource(DATASOURCE)
    .query(Q.districts)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}
