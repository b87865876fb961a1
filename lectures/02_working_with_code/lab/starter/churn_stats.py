# Exported from churn_eda.ipynb. Lab starter: turn this into a module (see the lab README).
import csv, sys
import os
from pathlib import Path
from typing import Dict

DATA = Path(__file__).resolve().parents[4] / "data" / "train.csv"

# In[1]:
f = open(DATA)
rows = list(csv.DictReader(f))
print(len(rows), 'rows')

# In[2]:
col = "contract"
groups: Dict[str, list] = {}
for r in rows:
    k = r[col]
    if not k in groups: groups[k] = [0, 0]
    groups[k][0] += 1
    if r["churn"] == "Yes": groups[k][1] += 1

# In[3]:
for k in groups:
    print(k, groups[k][0], round(100 * groups[k][1] / groups[k][0], 1), '%')
