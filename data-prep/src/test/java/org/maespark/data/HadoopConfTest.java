package org.maespark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.JavaSerializer;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;

/** The Hadoop configuration reaches executors under both of Spark's serializers. */
class HadoopConfTest {
  @Test
  void survivesKryoAndJavaSerialization() {
    Configuration c = new Configuration(false);
    c.set("fs.example.key", "value-1");
    SparkConf sc =
        new SparkConf().set("spark.kryo.registrator", RecordKryoRegistrator.class.getName());
    for (SerializerInstance s :
        new SerializerInstance[] {
          new KryoSerializer(sc).newInstance(), new JavaSerializer(sc).newInstance()
        }) {
      ByteBuffer bytes = s.serialize(new HadoopConf(c), ClassTag$.MODULE$.apply(HadoopConf.class));
      HadoopConf back = s.deserialize(bytes, ClassTag$.MODULE$.apply(HadoopConf.class));
      assertEquals("value-1", back.get().get("fs.example.key"), s.getClass().getSimpleName());
    }
  }
}
