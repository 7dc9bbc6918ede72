package org.maespark.conf;

/**
 * A configuration or argument error: the message names the key, the value and what was expected.
 */
public class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
