-- Indexes behind the list filters and exports (学生姓名, 证书编号, 考试计划, 考核站点).
CREATE INDEX student_name ON student(name);
CREATE INDEX student_school ON student(school_id);
CREATE INDEX exam_result_plan ON exam_result(plan_id, site_id);
CREATE INDEX batch_plan_site ON batch(plan_id, site_id);
