package io.opnp.report;

import io.opnp.math.OodMetrics;

/** One row of the results table: a scoring method against one OOD set. */
public record MethodResult(String method, String oodDataset, int oodCount, OodMetrics metrics) {}
