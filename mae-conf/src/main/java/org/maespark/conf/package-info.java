/**
 * Configuration shared by every job: a properties file from {@code conf/} overridden per key on the
 * command line, resolved once by the driver, with unknown keys refused before any work.
 */
package org.maespark.conf;
