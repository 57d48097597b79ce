/** The types of `npm:parse-prometheus-text-format@1.1.1`, which ships none. */
declare function parsePrometheusTextFormat(text: string): unknown[];
export default parsePrometheusTextFormat;
