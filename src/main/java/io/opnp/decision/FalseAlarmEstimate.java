package io.opnp.decision;

/**
 * A threshold set on calibration ID scores, the share of those scores it flags, and a bootstrap
 * confidence interval for the false-alarm rate the thresholding procedure has on new ID inputs.
 */
public record FalseAlarmEstimate(double threshold, double estimate, Interval interval, int resamples) {}
