package org.maespark.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.maespark.conf.Settings;
import picocli.CommandLine.Option;

/** The options every command shares: a properties file and per-key overrides. */
final class ConfigOptions {
  @Option(
      names = {"-c", "--conf", "--config"},
      description = "Properties file (a preset from conf/); keys overridden by --set.")
  Path config;

  @Option(
      names = {"--set"},
      paramLabel = "KEY=VALUE",
      description = "Override one config key (repeatable), e.g. --set train.epochs=10.")
  List<String> overrides = new ArrayList<>();

  Settings load() {
    return Settings.load(config, overrides);
  }
}
