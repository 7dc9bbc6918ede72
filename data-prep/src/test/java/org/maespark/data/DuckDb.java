package org.maespark.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** DuckDB (its own Parquet reader, no Spark, no parquet-java) as an independent reader. */
final class DuckDb {
  private DuckDb() {}

  static Connection connect() throws SQLException {
    return DriverManager.getConnection("jdbc:duckdb:");
  }

  /** Shard files of a split folder, in name order. */
  static List<Path> shards(Path splitDir) throws Exception {
    try (Stream<Path> s = Files.list(splitDir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
  }

  /** Keys of every row of a split, shard by shard, each in its stored row order. */
  static List<String> keysInFileOrder(Path splitDir) throws Exception {
    List<String> keys = new ArrayList<>();
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      for (Path f : shards(splitDir)) {
        try (ResultSet rs = st.executeQuery("SELECT key FROM read_parquet('" + f + "')")) {
          while (rs.next()) {
            keys.add(rs.getString(1));
          }
        }
      }
    }
    return keys;
  }
}
