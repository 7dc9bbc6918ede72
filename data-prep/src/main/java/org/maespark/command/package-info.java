/**
 * What every command of the application shares, data-prep's included: the Spark session builder,
 * the global options and the one error formatter.
 */
package org.maespark.command;
