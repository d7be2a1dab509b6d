/**
 * Turning detector scores into decisions: thresholds that keep a chosen share of in-distribution
 * (ID) inputs, how reliable their false-alarm rate is, conformal p-values, and choosing a detector
 * across several validation OOD proxies. Pure math: no Spark, no DJL.
 *
 * <p>Convention throughout: a higher score means more in-distribution, and an input is flagged
 * out-of-distribution (OOD) when its score is strictly below the threshold.
 */
package io.opnp.decision;
