package org.maespark.data;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Lets Spark's Kryo carry Java records. Kryo 4 (Spark's) builds objects field by field and cannot
 * set a record's final fields ("can't get field offset on a record class"), so any record in an RDD
 * (data-prep's file entries and outcomes, for one) failed once Kryo was switched on for ND4J.
 * Records go through Java serialization inside Kryo instead, which builds them through their
 * canonical constructor. Listed after ND4J's registrator in {@code spark.kryo.registrator}.
 */
public final class RecordKryoRegistrator implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    kryo.addDefaultSerializer(Record.class, JavaSerializer.class);
  }
}
