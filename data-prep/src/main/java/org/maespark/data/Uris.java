package org.maespark.data;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Input/output locations: any Hadoop URI; a bare path means the local filesystem. */
final class Uris {
  private Uris() {}

  /** Fully qualified Hadoop path of {@code location}. */
  static Path qualify(String location, Configuration conf) {
    URI uri = URI.create(location.replace(" ", "%20"));
    Path p =
        uri.getScheme() == null
            ? new Path("file", null, new File(location).getAbsoluteFile().toURI().getPath())
            : new Path(location);
    try {
      FileSystem fs = p.getFileSystem(conf);
      Path q = fs.makeQualified(p);
      // "dir/" and "dir" are the same folder; its name and parent must not depend on the slash
      String str = q.toString();
      return str.endsWith("/") && q.getParent() != null
          ? new Path(str.substring(0, str.length() - 1))
          : q;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach the filesystem of " + location, e);
    }
  }
}
