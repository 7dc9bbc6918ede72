package org.maespark.command;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.maespark.conf.ConfigException;
import org.maespark.conf.Settings;
import picocli.CommandLine.Option;

/**
 * The options every command takes ({@code @Mixin} in each): a properties file, per-key overrides
 * and {@code --verbose} (stack traces with errors; {@link CommandErrors} reads it).
 */
public final class GlobalOptions {
  @Option(
      names = {"-c", "--conf", "--config"},
      paramLabel = "FILE",
      description = "Properties file (a preset from conf/); keys overridden by --set.")
  Path config;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override one config key (repeatable), e.g. --set train.epochs=10.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  /** The configuration: the file (if any) with the overrides applied. */
  public Settings settings() {
    return Settings.load(config, overrides);
  }

  /** For commands whose configuration is the checkpoint's own: refuses --conf and --set. */
  public void requireNoConfig(String command) {
    if (config != null || !overrides.isEmpty()) {
      throw new ConfigException(
          command + " takes its configuration from the checkpoint; --conf and --set do not apply");
    }
  }

  public boolean verbose() {
    return verbose;
  }
}
