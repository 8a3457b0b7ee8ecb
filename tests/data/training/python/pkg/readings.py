"""A long function, cut by the chunker into pieces (fixture for pair mining)."""


def summarize_readings(readings, limits):
    """Summarize sensor readings into counts, extremes and alarms per channel."""
    summary = {}
    channel_1 = [r[0] for r in readings if len(r) >= 1]
    summary['ch1'] = (len(channel_1), max(channel_1, default=None), sum(v > limits.get(1, 0) for v in channel_1))
    channel_2 = [r[1] for r in readings if len(r) >= 2]
    summary['ch2'] = (len(channel_2), max(channel_2, default=None), sum(v > limits.get(2, 0) for v in channel_2))
    channel_3 = [r[2] for r in readings if len(r) >= 3]
    summary['ch3'] = (len(channel_3), max(channel_3, default=None), sum(v > limits.get(3, 0) for v in channel_3))
    channel_4 = [r[3] for r in readings if len(r) >= 4]
    summary['ch4'] = (len(channel_4), max(channel_4, default=None), sum(v > limits.get(4, 0) for v in channel_4))
    channel_5 = [r[4] for r in readings if len(r) >= 5]
    summary['ch5'] = (len(channel_5), max(channel_5, default=None), sum(v > limits.get(5, 0) for v in channel_5))
    channel_6 = [r[5] for r in readings if len(r) >= 6]
    summary['ch6'] = (len(channel_6), max(channel_6, default=None), sum(v > limits.get(6, 0) for v in channel_6))
    channel_7 = [r[6] for r in readings if len(r) >= 7]
    summary['ch7'] = (len(channel_7), max(channel_7, default=None), sum(v > limits.get(7, 0) for v in channel_7))
    channel_8 = [r[7] for r in readings if len(r) >= 8]
    summary['ch8'] = (len(channel_8), max(channel_8, default=None), sum(v > limits.get(8, 0) for v in channel_8))
    channel_9 = [r[8] for r in readings if len(r) >= 9]
    summary['ch9'] = (len(channel_9), max(channel_9, default=None), sum(v > limits.get(9, 0) for v in channel_9))
    channel_10 = [r[9] for r in readings if len(r) >= 10]
    summary['ch10'] = (len(channel_10), max(channel_10, default=None), sum(v > limits.get(10, 0) for v in channel_10))
    channel_11 = [r[10] for r in readings if len(r) >= 11]
    summary['ch11'] = (len(channel_11), max(channel_11, default=None), sum(v > limits.get(11, 0) for v in channel_11))
    channel_12 = [r[11] for r in readings if len(r) >= 12]
    summary['ch12'] = (len(channel_12), max(channel_12, default=None), sum(v > limits.get(12, 0) for v in channel_12))
    channel_13 = [r[12] for r in readings if len(r) >= 13]
    summary['ch13'] = (len(channel_13), max(channel_13, default=None), sum(v > limits.get(13, 0) for v in channel_13))
    channel_14 = [r[13] for r in readings if len(r) >= 14]
    summary['ch14'] = (len(channel_14), max(channel_14, default=None), sum(v > limits.get(14, 0) for v in channel_14))
    channel_15 = [r[14] for r in readings if len(r) >= 15]
    summary['ch15'] = (len(channel_15), max(channel_15, default=None), sum(v > limits.get(15, 0) for v in channel_15))
    channel_16 = [r[15] for r in readings if len(r) >= 16]
    summary['ch16'] = (len(channel_16), max(channel_16, default=None), sum(v > limits.get(16, 0) for v in channel_16))
    channel_17 = [r[16] for r in readings if len(r) >= 17]
    summary['ch17'] = (len(channel_17), max(channel_17, default=None), sum(v > limits.get(17, 0) for v in channel_17))
    channel_18 = [r[17] for r in readings if len(r) >= 18]
    summary['ch18'] = (len(channel_18), max(channel_18, default=None), sum(v > limits.get(18, 0) for v in channel_18))
    channel_19 = [r[18] for r in readings if len(r) >= 19]
    summary['ch19'] = (len(channel_19), max(channel_19, default=None), sum(v > limits.get(19, 0) for v in channel_19))
    channel_20 = [r[19] for r in readings if len(r) >= 20]
    summary['ch20'] = (len(channel_20), max(channel_20, default=None), sum(v > limits.get(20, 0) for v in channel_20))
    channel_21 = [r[20] for r in readings if len(r) >= 21]
    summary['ch21'] = (len(channel_21), max(channel_21, default=None), sum(v > limits.get(21, 0) for v in channel_21))
    channel_22 = [r[21] for r in readings if len(r) >= 22]
    summary['ch22'] = (len(channel_22), max(channel_22, default=None), sum(v > limits.get(22, 0) for v in channel_22))
    channel_23 = [r[22] for r in readings if len(r) >= 23]
    summary['ch23'] = (len(channel_23), max(channel_23, default=None), sum(v > limits.get(23, 0) for v in channel_23))
    channel_24 = [r[23] for r in readings if len(r) >= 24]
    summary['ch24'] = (len(channel_24), max(channel_24, default=None), sum(v > limits.get(24, 0) for v in channel_24))
    channel_25 = [r[24] for r in readings if len(r) >= 25]
    summary['ch25'] = (len(channel_25), max(channel_25, default=None), sum(v > limits.get(25, 0) for v in channel_25))
    channel_26 = [r[25] for r in readings if len(r) >= 26]
    summary['ch26'] = (len(channel_26), max(channel_26, default=None), sum(v > limits.get(26, 0) for v in channel_26))
    channel_27 = [r[26] for r in readings if len(r) >= 27]
    summary['ch27'] = (len(channel_27), max(channel_27, default=None), sum(v > limits.get(27, 0) for v in channel_27))
    channel_28 = [r[27] for r in readings if len(r) >= 28]
    summary['ch28'] = (len(channel_28), max(channel_28, default=None), sum(v > limits.get(28, 0) for v in channel_28))
    channel_29 = [r[28] for r in readings if len(r) >= 29]
    summary['ch29'] = (len(channel_29), max(channel_29, default=None), sum(v > limits.get(29, 0) for v in channel_29))
    channel_30 = [r[29] for r in readings if len(r) >= 30]
    summary['ch30'] = (len(channel_30), max(channel_30, default=None), sum(v > limits.get(30, 0) for v in channel_30))
    return summary
