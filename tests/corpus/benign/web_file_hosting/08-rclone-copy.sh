#!/usr/bin/env bash
# copy the Kraken2 index from the lab bucket (large, but just a transfer)
rclone config show gcs-lab > /dev/null
rclone copy gcs-lab:indexes/kraken2_standard /content/kraken2_db --transfers 16 --progress
rclone check gcs-lab:indexes/kraken2_standard /content/kraken2_db --one-way
kraken2 --db /content/kraken2_db --threads 8 --report report.txt reads.fastq > out.kraken
